"""`pitstop dev`: the whole Pitstop stack on one machine, no cloud account, no network.

moto's DynamoDB (seeded with the demo shop), the webhook and tools Lambdas over local HTTP,
the media bridge, and — unless OPENAI_API_KEY or --realtime-url says otherwise — the offline
Realtime engine. The Lambda handlers read their configuration from the process environment (the
same PITSTOP_* variables the CDK stack sets), so they run in this process with that environment,
beside moto and the engine. The bridge runs as production runs it, in a process of its own
(`python -m media_bridge`, `pitstop_local.bridge_process`) with the same environment: 200 call
set-ups through moto and the Lambdas cannot starve its event loop. Its log is `bridge.log` in
the working folder.

moto stays in this process: it serves only request/response traffic (the Lambdas, the bridge's
record writes over HTTP), and its speed-up (`pitstop_local.dynamodb`) makes each request cheap;
a process of its own would add a start-up and a second log without relieving anything real-time.

`LocalStack` is the reusable part: tests and `pitstop demo` start it on ephemeral ports; the CLI
starts it on fixed ports and waits for Ctrl-C / SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Self
from zoneinfo import ZoneInfo

from pitstop_local.bridge_process import BridgeFailed, BridgeProcess, MetricsWatch

STATE_FILE = Path(".pitstop/dev.json")
# How long the bridge may take, after the caller hangs up, to write the call's record.
CALL_CLEANUP_SECONDS = 15.0
RECORD_POLL_SECONDS = 0.05  # how often `call_finished` looks at the call record
# The bridge child's own settings locally, unless the environment says otherwise: a short
# drain on stop (as `pitstop dev` always had), and metrics flushed every second so that what it
# counts shows in its log (and to `watch_metrics`) at once.
_BRIDGE_DEFAULTS = {"PITSTOP_BRIDGE_DRAIN_SECONDS": "2", "PITSTOP_BRIDGE_METRICS_INTERVAL": "1"}

# Variables LocalStack exports for the handlers (restored on stop, so tests do not leak them).
_EXPORTED = (
    "PITSTOP_DYNAMODB_ENDPOINT",
    "PITSTOP_TABLE",
    "PITSTOP_SHOP_ID",
    "PITSTOP_PUBLIC_URL",
    "PITSTOP_BRIDGE_URL",
    "PITSTOP_TOOLS_URL",
    "PITSTOP_TOOLS_AUTH",
    "PITSTOP_REALTIME_URL",
    "PITSTOP_TELEPHONY",
    "PITSTOP_OUTBOX",
    "PITSTOP_BRIDGE_PORT",
    "PITSTOP_RECORDINGS_DIR",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


async def _until(check: Callable[[], bool], seconds: float) -> None:
    """Poll `check` (a blocking read of the table, run in a thread) until it holds; TimeoutError
    after `seconds`. What it waits for is written by another process: there is no event."""
    async with asyncio.timeout(seconds):
        while True:
            if await asyncio.to_thread(check):
                return
            await asyncio.sleep(RECORD_POLL_SECONDS)


class LocalStack:
    """The local stack: `async with LocalStack() as stack: ...`; the bridge is a child process.

    Port 0 (the default) picks free ports, so several stacks (or a test run next to a running
    `pitstop dev`) never collide. `workdir` holds the outbox, call recordings and `bridge.log`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        http_port: int = 0,
        bridge_port: int = 0,
        engine_port: int = 0,
        dynamodb_port: int = 0,
        console_port: int = 0,
        live_port: int = 0,
        realtime_url: str | None = None,
        table: str = "pitstop",
        shop_id: str = "demo",
        workdir: Path | None = None,
        seed: bool = True,
        today=None,
    ):
        self.host = host
        self._ports = {
            "http": http_port,
            "bridge": bridge_port,
            "engine": engine_port,
            "dynamodb": dynamodb_port,
            "console": console_port,
            "live": live_port,
        }
        self._realtime_override = realtime_url
        self.table = table
        self.shop_id = shop_id
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="pitstop-"))
        self.outbox_path = self.workdir / "outbox.jsonl"
        self.bridge_log = self.workdir / "bridge.log"
        self._seed = seed
        self._today = today
        self._saved_env: dict[str, str | None] = {}
        self._dynamodb = self._http = self._engine = self.console = None
        self.after_call = None
        self._bridge: BridgeProcess | None = None
        self._bridge_restart: asyncio.Task[None] | None = None
        self._bridge_killed_at: datetime | None = None
        self.engine_kind = "none"
        self.settings = None
        self.crm = None
        self.dynamodb_endpoint = self.http_url = self.bridge_url = self.realtime_url = ""
        self.engine_url: str | None = None
        self.seed_report = None

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> LocalStack:
        from pitstop_local.dynamodb import LocalDynamoDB
        from pitstop_local.http import serve_lambdas

        # moto's werkzeug server logs every request line; the stack's own logs are enough.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            self._dynamodb = LocalDynamoDB(self.host, self._ports["dynamodb"]).start()
            self.dynamodb_endpoint = self._dynamodb.endpoint
            self._http = serve_lambdas(self.host, self._ports["http"])
            self.http_url = self._http.url
            await self._start_engine()
            self._export_env()
            self.settings, self.crm = self._settings_and_crm()
            if self._seed:
                await asyncio.to_thread(self._seed_table)
            await self._start_bridge()
            await self._start_console()
            await self._start_after_call()
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        """Stop everything that started, newest first; safe to call twice."""
        if self.after_call is not None:
            after_call, self.after_call = self.after_call, None
            await after_call.stop()
        if self.console is not None:
            console, self.console = self.console, None
            await console.stop()
        if self._bridge_restart is not None:
            restart, self._bridge_restart = self._bridge_restart, None
            with contextlib.suppress(Exception):
                await restart
        if self._bridge is not None:
            bridge, self._bridge = self._bridge, None
            await bridge.stop()
        if self._engine is not None:
            engine, self._engine = self._engine, None
            engine.close()
            await engine.wait_closed()
        if self._http is not None:
            http, self._http = self._http, None
            await asyncio.to_thread(http.stop)
        if self._dynamodb is not None:
            dynamodb, self._dynamodb = self._dynamodb, None
            await asyncio.to_thread(dynamodb.stop)
        self._restore_env()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # ---- pieces ----------------------------------------------------------------------------
    async def _start_engine(self) -> None:
        from pitstop.secrets import openai_api_key

        if self._realtime_override:
            self.realtime_url, self.engine_kind = self._realtime_override, "external"
            return
        if openai_api_key():
            from pitstop.config import Settings

            self.realtime_url, self.engine_kind = Settings().realtime_url, "openai"
            return
        from pitstop_local.engine import serve_engine

        port = self._ports["engine"] or _free_port(self.host)
        self._engine = await serve_engine(self.host, port)
        self.engine_url = self.realtime_url = f"ws://{self.host}:{port}/v1/realtime"
        self.engine_kind = "offline"

    async def _start_bridge(self) -> None:
        """`python -m media_bridge` on the bridge port (0: any), with the stack's environment;
        once it says where it listens, the webhook is told (PITSTOP_BRIDGE_URL)."""
        env = {**_BRIDGE_DEFAULTS, **os.environ}
        env.update(
            POWERTOOLS_SERVICE_NAME="media_bridge",  # as the CDK stack names the container's
            POWERTOOLS_METRICS_DISABLED="false",  # its own log file: metrics leak nowhere
            PYTHONUNBUFFERED="1",  # each log line reaches bridge.log as it is written
        )
        self.bridge_log.unlink(missing_ok=True)  # one log per stack (restarts append to it)
        bridge = BridgeProcess(self.host, self._ports["bridge"], env, self.bridge_log)
        self._bridge = await bridge.start()
        self.bridge_url = bridge.url
        self._export({"PITSTOP_BRIDGE_URL": bridge.url, "PITSTOP_BRIDGE_PORT": str(bridge.port)})
        self.settings, self.crm = self._settings_and_crm()

    async def _start_after_call(self) -> None:
        """Summaries and costs for every local call, fed from the table's stream as in AWS."""
        from pitstop_local.after_call import LocalAfterCall

        self.after_call = await LocalAfterCall(self.settings).start()

    async def _start_console(self) -> None:
        from pitstop_local.console import LocalConsole

        self.console = await LocalConsole.start(
            self.settings, self.host, self._ports["console"], self._ports["live"]
        )

    def _export_env(self) -> None:
        values = {
            "PITSTOP_DYNAMODB_ENDPOINT": self.dynamodb_endpoint,
            "PITSTOP_TABLE": self.table,
            "PITSTOP_SHOP_ID": self.shop_id,
            "PITSTOP_PUBLIC_URL": self.http_url,
            "PITSTOP_TOOLS_URL": f"{self.http_url}/tools",
            "PITSTOP_TOOLS_AUTH": "token",
            "PITSTOP_REALTIME_URL": self.realtime_url,
            "PITSTOP_TELEPHONY": "outbox",
            "PITSTOP_OUTBOX": str(self.outbox_path),
            "PITSTOP_RECORDINGS_DIR": str(self.workdir / "recordings"),
        }
        # boto3 wants credentials and a region even for moto; never real ones.
        defaults = {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        for name in _EXPORTED:
            self._saved_env[name] = os.environ.get(name)
        for name, value in defaults.items():
            os.environ.setdefault(name, value)
        self._export(values)

    def _export(self, values: dict[str, str]) -> None:
        os.environ.update(values)
        self._reset_cached_settings()

    def _restore_env(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._saved_env:
            self._reset_cached_settings()
        self._saved_env = {}

    @staticmethod
    def _reset_cached_settings() -> None:
        from pitstop.config import get_settings

        get_settings.cache_clear()

    def _settings_and_crm(self):
        from pitstop.config import Settings
        from pitstop.dal import Crm

        settings = Settings()
        return settings, Crm(settings)

    def _seed_table(self) -> None:
        from pitstop import seed

        today = self._today or datetime.now(ZoneInfo(seed.TIMEZONE)).date()
        self.seed_report = seed.seed(self.settings, today)

    # ---- using the stack -------------------------------------------------------------------
    async def transcript(self, call_sid: str) -> list[tuple[str, str]]:
        """The call's transcript turns so far, as the bridge recorded them in the CRM."""
        turns = await asyncio.to_thread(self.crm.calls.transcript, call_sid)
        return [(t.role, t.text) for t in turns]

    def simulator(self, *, speed: float = 1.0, on_turn=None):
        """A Twilio simulator wired to this stack (webhook URL, outbox, agent transcript)."""
        from pitstop_local.simulator.twilio_sim import TwilioSimulator

        return TwilioSimulator(
            self.http_url,
            speed=speed,
            outbox_path=self.outbox_path,
            shop_number=self.settings.from_number,
            transcript_source=self.transcript,
            on_turn=on_turn,
        )

    async def call_finished(self, call_sid: str) -> None:
        """Wait until the bridge is done with `call_sid`: its record, outcome and transcript are
        written. (The caller's side may hang up before the bridge has finished its cleanup.)

        The bridge's last write for a stream (`CallRepository.finish_stream`) comes after the
        transcript's, so the record says when it is done; a stream the bridge was killed
        under (`crash_bridge`) is done too, as nobody is left to finish it."""
        await self.bridge_ready()
        try:
            await _until(lambda: self._bridge_done_with(call_sid), CALL_CLEANUP_SECONDS)
        except TimeoutError:
            raise TimeoutError(
                f"the bridge did not finish {call_sid} within {CALL_CLEANUP_SECONDS:.0f} s "
                f"(its log: {self.bridge_log})"
            ) from None

    def _bridge_done_with(self, call_sid: str) -> bool:
        progress = self.crm.calls.stream_progress(call_sid)
        if progress.finished:
            return True
        killed, claimed = self._bridge_killed_at, progress.claimed_at
        return killed is not None and claimed is not None and claimed <= killed

    # ---- the bridge process, for tests that inject its faults ----------------------------
    @property
    def bridge_task_id(self) -> str:
        """The id the running bridge beats under (see `pitstop.dal.heartbeats`)."""
        return self._running_bridge().task_id

    def crash_bridge(self) -> None:
        """Kill the bridge as a crashed container dies (SIGKILL: no drain, no last writes;
        Twilio sees its streams drop) and start a new one on the same port, which
        `bridge_ready` (and `call_finished`) wait for. Callable from a synchronous callback."""
        bridge = self._running_bridge()
        bridge.kill()
        self._bridge_killed_at = datetime.now(UTC)
        self._bridge_restart = asyncio.get_running_loop().create_task(self._restart(bridge))

    async def _restart(self, dead: BridgeProcess) -> None:
        await dead.stop()  # reaps it and closes its log
        self._bridge = await BridgeProcess(self.host, dead.port, dead.env, self.bridge_log).start()

    async def bridge_ready(self) -> None:
        """Wait for a bridge restarted by `crash_bridge` to listen (at once if none is)."""
        if self._bridge_restart is not None:
            restart, self._bridge_restart = self._bridge_restart, None
            await restart

    @contextlib.asynccontextmanager
    async def bridge_paused(self) -> AsyncIterator[None]:
        """The bridge frozen (SIGSTOP) for the block: it beats no heartbeat and serves nothing,
        as a fleet that died. Afterwards it resumes, and this waits until its heartbeat is
        fresh in the table again (at most one beat interval and a margin)."""
        from pitstop.dal.heartbeats import BEAT_INTERVAL

        bridge = self._running_bridge()
        await bridge.pause()
        try:
            yield
        finally:
            bridge.resume()
            beating = BEAT_INTERVAL.total_seconds() + 5
            await _until(lambda: self.crm.heartbeats.alive(datetime.now(UTC)) is True, beating)

    def watch_metrics(self) -> MetricsWatch:
        """What the bridge counts from now on (its EMF lines): see `MetricsWatch`."""
        return MetricsWatch(self._running_bridge())

    async def bridge_exited(self) -> int:
        """Wait until the bridge process ends; its exit status (`pitstop dev` watches this)."""
        return await self._running_bridge().wait()

    def _running_bridge(self) -> BridgeProcess:
        if self._bridge is None:
            raise RuntimeError("the local stack's bridge is not running: start the stack first")
        return self._bridge

    def describe(self) -> list[str]:
        from pitstop.secrets import twilio_credentials

        engine = {
            "offline": f"offline engine (development/test voice) {self.engine_url}",
            "openai": f"OpenAI Realtime API {self.realtime_url}",
            "external": f"external Realtime server {self.realtime_url}",
        }[self.engine_kind]
        return [
            f"DynamoDB (moto)   {self.dynamodb_endpoint}  table {self.table!r}",
            f"webhook + tools   {self.http_url}  "
            "(POST /voice, /voice/reminder, /voice/status; /tools)",
            f"media bridge      {self.bridge_url}",
            f"realtime          {engine}",
            f"outbox            {self.outbox_path}",
            f"bridge log        {self.bridge_log}",
            *(self.console.describe() if self.console else []),
            (
                f"Twilio auth token {twilio_credentials().auth_token}  (webhook signatures; "
                "set TWILIO_AUTH_TOKEN to change)"
            ),
            (
                f"place a call:     pitstop call --http {self.http_url}    "
                "(or: pitstop call --scenario new-customer-books)"
            ),
        ]


# ---- CLI --------------------------------------------------------------------------------------
def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="run the whole stack locally (moto DynamoDB, webhook, tools, bridge, engine)",
        description="Run Pitstop on this machine: moto DynamoDB seeded with the demo shop, the "
        "webhook and tools Lambdas over HTTP, the media bridge, and the offline Realtime engine "
        "(unless OPENAI_API_KEY or --realtime-url is set). Prints a line starting with 'ready' "
        "once everything listens. Ctrl-C stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--bridge-port", type=int, default=8765)
    parser.add_argument("--engine-port", type=int, default=8766)
    parser.add_argument("--dynamodb-port", type=int, default=5005)
    parser.add_argument("--console-port", type=int, default=8080)
    parser.add_argument("--live-port", type=int, default=8081)
    parser.add_argument(
        "--realtime-url",
        default=None,
        help="use this Realtime-protocol server instead of the engine / OpenAI",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".pitstop"),
        help="where the outbox and recordings go (default: .pitstop)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_serve(args))
    except KeyboardInterrupt:
        return 0


async def _serve(args: argparse.Namespace) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    args.workdir.mkdir(parents=True, exist_ok=True)
    stack = LocalStack(
        host=args.host,
        http_port=args.http_port,
        bridge_port=args.bridge_port,
        engine_port=args.engine_port,
        dynamodb_port=args.dynamodb_port,
        console_port=args.console_port,
        live_port=args.live_port,
        realtime_url=args.realtime_url,
        workdir=args.workdir,
    )
    print("Starting the Pitstop local stack…", flush=True)
    try:
        await stack.start()
    except OSError as error:
        print(
            f"could not start: {error} (is another `pitstop dev` running? choose other ports)",
            file=sys.stderr,
        )
        return 1
    except BridgeFailed as error:
        print(f"could not start: {error}", file=sys.stderr)
        return 1
    try:
        report = stack.seed_report
        if report is not None:
            print(
                f"seeded the demo shop: {report.customers} customers, {report.appointments} "
                "appointments (demo caller Alex Morgan +15551230001, 2019 Toyota Camry)"
            )
        for line in stack.describe():
            print("  " + line)
        _write_state(stack, args.workdir)
        print(
            f"ready  http={stack.http_url} bridge={stack.bridge_url} "
            f"dynamodb={stack.dynamodb_endpoint} realtime={stack.realtime_url}",
            flush=True,
        )
        if await _until_stopped(stop, stack) is not None:
            return 1
        print("stopping…", flush=True)
    finally:
        await stack.stop()
        with contextlib.suppress(FileNotFoundError):
            (args.workdir / STATE_FILE.name).unlink()
    print("stopped", flush=True)
    return 0


async def _until_stopped(stop: asyncio.Event, stack: LocalStack) -> int | None:
    """Wait for Ctrl-C / SIGTERM; if the bridge dies first, say why and return its status."""
    stopped = asyncio.create_task(stop.wait())
    died = asyncio.create_task(stack.bridge_exited())
    await asyncio.wait({stopped, died}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if not died.done():
        died.cancel()
        return None
    print(
        f"the media bridge exited with status {died.result()}; see {stack.bridge_log}",
        file=sys.stderr,
    )
    return died.result()


def _write_state(stack: LocalStack, workdir: Path) -> None:
    """Where the running stack listens, so `pitstop call` and friends find it with no flags."""
    state = {
        "http_url": stack.http_url,
        "bridge_url": stack.bridge_url,
        "dynamodb_endpoint": stack.dynamodb_endpoint,
        "table": stack.table,
        "shop_id": stack.shop_id,
        "outbox": str(stack.outbox_path.resolve()),
        "realtime_url": stack.realtime_url,
        "pid": os.getpid(),
    }
    (workdir / STATE_FILE.name).write_text(json.dumps(state, indent=2), encoding="utf-8")


def read_state(workdir: Path = STATE_FILE.parent) -> dict | None:
    """The running `pitstop dev`'s addresses, or None when none is running here."""
    path = workdir / STATE_FILE.name
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(int(state.get("pid", 0)), 0)
    except (OSError, ValueError):
        return None  # stale: that process is gone
    return state
