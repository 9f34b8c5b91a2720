"""What the bridge needs around it in the benchmark, each in its own process or thread.

- DynamoDB: moto in a child process (the local stack's `LocalDynamoDB`), seeded with the demo
  shop. The bridge claims each call's stream grant on its call record before anything else, so
  calls are opened the way the webhook opens them (`CallBook.open`: record + signed token).
- The tools API: a stub answering the tool list (no tool is called: the echo never asks).
- Relays under test (`python -m media_bridge`, the floor) as child processes, each measured
  alone through /proc; `serve` waits for the start-up line the process prints. The bridge runs
  as its image ships it, its hot path compiled (`compile_bridge`).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.bench.load_twilio import CallSpec

STREAM_KEY = "bench-stream-key"
COMPILE = Path(__file__).resolve().parents[2] / "containers/media_bridge/compile_hot_path.py"
_ERROR = re.compile(r'"level": ?"(ERROR|CRITICAL)"')
MOTO = """
import logging, threading
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from pitstop_local.dynamodb import LocalDynamoDB
server = LocalDynamoDB().start()
print(server.endpoint, flush=True)
threading.Event().wait()
"""


def compile_bridge(dest: Path, sources: Path | None = None) -> Path:
    """The bridge built as its image builds it (compile_hot_path.py) under `dest`, a PYTHONPATH
    entry; `sources` is another revision's `media_bridge` package (bridge_ab's A)."""
    command = [sys.executable, str(COMPILE), str(dest)]
    if sources is not None:
        command += ["--sources", str(sources)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return dest


@contextlib.contextmanager
def dynamodb() -> Iterator[str]:
    """moto's DynamoDB in a child process; yields its endpoint."""
    process = subprocess.Popen(
        [sys.executable, "-c", MOTO], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)


class _ToolsStub(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"tools": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def tools_stub() -> Iterator[str]:
    """The tools API's tool list on a local port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ToolsStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tools"
    finally:
        server.shutdown()


class CallBook:
    """The demo shop in DynamoDB, and call records opened as the webhook opens them."""

    def __init__(self, table: str, endpoint: str):
        from pitstop.config import Settings
        from pitstop.dal import Crm
        from pitstop.models import AgentSettings
        from pitstop.seed import seed

        self.settings = Settings(table_name=table, dynamodb_endpoint=endpoint)
        seed(self.settings, date.today())
        self.crm = Crm(self.settings)
        # The echo never reports caller speech but for the barge-in: without this the bridge
        # would (rightly) end every call after the agent settings' silence timeout.
        self.crm.shops.put_settings(
            AgentSettings(silence_timeout_seconds=3600, max_call_seconds=3600)
        )

    def open(self, index: int) -> CallSpec:
        """Record a call with its stream grant, then sign the token (what `/voice` does)."""
        from pitstop.models import CallDirection, CallRecord, CallStatus
        from pitstop.stream_token import issue_token, new_grant

        call_sid = f"CA{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        grant = new_grant(ttl=600, now=now.timestamp())
        record = CallRecord(
            call_sid=call_sid,
            direction=CallDirection.INBOUND,
            customer_number="+15550100000",
            shop_id=self.settings.shop_id,
            status=CallStatus.IN_PROGRESS,
            stream_token_id=grant.token_id,
            stream_token_expires=grant.expires,
        )
        self.crm.calls.open_stream(record, now)
        return CallSpec(index, call_sid, issue_token(call_sid, "inbound", STREAM_KEY, grant=grant))

    def open_many(self, n: int) -> list[CallSpec]:
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(self.open, range(n)))


@contextlib.contextmanager
def serve(
    command: list[str], env: dict[str, str], log_path: Path, ready: str, cwd: Path
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Run `command` until the block ends (SIGTERM, then up to 240 s to drain and exit).

    Yields the process and the URL on the first stdout line starting with `ready`."""
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    try:
        yield process, _wait_url(process, log_path, ready)
    finally:
        process.terminate()  # the bridge drains (calls finish, records are written) and exits
        try:
            process.wait(240)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_url(process: subprocess.Popen[str], log_path: Path, ready: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for line in log_path.read_text().splitlines():
            if line.startswith(ready):
                return line[len(ready) :].split()[0]
        time.sleep(0.05)  # a bounded poll of the process's own log
    tail = "\n".join(log_path.read_text().splitlines()[-20:])
    raise RuntimeError(f"{command_name(process)} did not start:\n{tail}")


def log_errors(log_path: Path) -> list[str]:
    """Lines of a relay's log that say something went wrong (the figures would not count)."""
    lines = log_path.read_text().splitlines()
    return [line for line in lines if _ERROR.search(line) or line.startswith("Traceback")]


def command_name(process: subprocess.Popen[str]) -> str:
    args = process.args
    return " ".join(args) if isinstance(args, list) else str(args)
