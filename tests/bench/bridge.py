"""Media bridge benchmark: N simulated calls at real-time pacing through `python -m media_bridge`.

Three processes: the bridge (the real entry point, measured through /proc), an echoing Realtime
stand-in (every `input_audio_buffer.append` comes straight back as `response.output_audio.delta`),
and this driver playing Twilio for N calls: a 160-byte μ-law frame every 20 ms per call, marks
acknowledged as the audio "plays" (on the next tick), one barge-in per call.

Reported per N: bridge CPU seconds per call-second, the round trip of a frame (driver → bridge →
echo → bridge → driver) and the part the bridge adds (minus a baseline round trip with the driver
talking to the echo directly), frames lost, RSS per call, and speech_started → clear (the echo
stamps speech_started and the driver stamps clear; CLOCK_MONOTONIC is shared by processes).

    python -m tests.bench bridge                # N = 50, 200, 500
    BENCH_BRIDGE_N=20 BENCH_BRIDGE_SECONDS=3 python -m tests.bench bridge
    BENCH_BRIDGE_PROFILE=1 ...                  # also cProfile the bridge (top functions printed)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import multiprocessing as mp
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from websockets.exceptions import ConnectionClosed

FRAME_BYTES = 160
TICK = 0.020
STREAM_KEY = "bench-stream-key"
CLK_TCK = os.sysconf("SC_CLK_TCK")
DELTA_HEAD = (
    '{"type":"response.output_audio.delta","event_id":"ev","response_id":"resp",'
    '"output_index":0,"content_index":0,"item_id":"'
)
APPEND_HEAD = '{"type":"input_audio_buffer.append","audio":"'


# ----------------------------------------------------------------------------- frames
def frame(call: int, seq: int, speech: bool = False) -> str:
    """A μ-law frame whose first 9 bytes say which call, which frame, and "barge in now"."""
    head = struct.pack(">IIB", call, seq, 1 if speech else 0)
    return base64.b64encode(head + b"\xff" * (FRAME_BYTES - 9)).decode()


def frame_id(payload: str) -> tuple[int, int, int]:
    return struct.unpack(">IIB", base64.b64decode(payload[:12]))


# ----------------------------------------------------------------------------- echo stand-in
def _echo_process(port_pipe, stats_pipe) -> None:
    asyncio.run(_echo_main(port_pipe, stats_pipe))


async def _echo_control(ws, text: str) -> None:
    """The GA rules the bridge waits on: `session.updated` echoing the session it asked for,
    and a response that starts and finishes at once for each `response.create` (silent: the
    audio the benchmark measures is the echo of the caller's)."""
    event = json.loads(text)
    kind = event.get("type")
    if kind == "session.update":
        session = {**event["session"], "model": "gpt-realtime"}
        await ws.send(json.dumps({"type": "session.updated", "event_id": "ev", "session": session}))
    elif kind == "response.create":
        response = {"object": "realtime.response", "id": f"resp_{uuid.uuid4().hex[:8]}"}
        created = {**response, "status": "in_progress", "output": []}
        done = {**response, "status": "completed", "output": []}
        await ws.send(
            json.dumps({"type": "response.created", "event_id": "ev", "response": created})
        )
        await ws.send(json.dumps({"type": "response.done", "event_id": "ev", "response": done}))


async def _echo_main(port_pipe, stats_pipe) -> None:
    from websockets.asyncio.server import serve

    speech: dict[int, int] = {}  # call → monotonic_ns when speech_started was sent

    async def handle(ws):
        item = "item_0"
        turn = 0
        twilio_mode = None
        stream_sid = ""
        async for text in ws:
            if twilio_mode is None:
                twilio_mode = text.startswith('{"event"')
            if not twilio_mode:  # Realtime protocol, as the bridge speaks it
                if not text.startswith(APPEND_HEAD):
                    await _echo_control(ws, text)
                    continue
                audio = text[len(APPEND_HEAD) : -2]
                call, _, speech_flag = frame_id(audio)
                if speech_flag:
                    await ws.send(
                        '{"type":"input_audio_buffer.speech_started","event_id":"ev",'
                        '"audio_start_ms":0,"item_id":"user_1"}'
                    )
                    speech[call] = time.monotonic_ns()
                    turn += 1
                    item = f"item_{turn}"  # the next response is a new item
                await ws.send(DELTA_HEAD + item + '","delta":"' + audio + '"}')
            else:  # baseline: the driver talks to the echo directly, as Twilio would
                if '"media"' in text[:20]:
                    payload = text[text.index('"payload":"') + 11 :]
                    payload = payload[: payload.index('"')]
                    await ws.send(
                        '{"event":"media","streamSid":"'
                        + stream_sid
                        + '","media":{"payload":"'
                        + payload
                        + '"}}'
                    )
                    await ws.send(
                        '{"event":"mark","streamSid":"' + stream_sid + '","mark":{"name":"m"}}'
                    )
                elif '"start"' in text[:20]:
                    stream_sid = "MZbaseline"

    async with serve(handle, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port_pipe.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, stats_pipe.recv) == "report":
            stats_pipe.send(dict(speech))
            speech.clear()


class Echo:
    def __init__(self):
        ctx = mp.get_context("spawn")
        self._port_r, port_w = ctx.Pipe(duplex=False)
        self._stats, child = ctx.Pipe()
        self.process = ctx.Process(target=_echo_process, args=(port_w, child), daemon=True)

    def __enter__(self) -> Echo:
        self.process.start()
        self.port = self._port_r.recv()
        return self

    def speech_times(self) -> dict[int, int]:
        self._stats.send("report")
        return self._stats.recv()

    def __exit__(self, *exc) -> None:
        self._stats.send("stop")
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


# ----------------------------------------------------------------------------- /proc
def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# ----------------------------------------------------------------------------- driver
class CallDriver:
    """One simulated Twilio call."""

    def __init__(self, index: int, url: str, token_for):
        self.index = index
        self.url = url
        self.call_sid = f"CA{uuid.uuid4().hex}"
        self.token = token_for(self.call_sid)
        self.sent: dict[int, int] = {}
        self._all_back = asyncio.Event()  # set whenever no sent frame is still on its way
        self.rtts: list[int] = []
        self.received = 0
        self.pending_marks: list[str] = []
        self.clear_at: int | None = None
        self.ws = None
        self.recording = False
        self.ready = False
        self.closed = False
        self.speech_seq = -1

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(self.url, compression=None, max_size=None)
        sid = f"MZ{uuid.uuid4().hex}"
        self.head = (
            '{"event":"media","streamSid":"' + sid + '","media":{"track":"inbound","payload":"'
        )
        self.mark_head = '{"event":"mark","streamSid":"' + sid + '","mark":{"name":"'
        await self.ws.send('{"event":"connected","protocol":"Call","version":"1.0.0"}')
        params = (
            '{"direction":"inbound","customer_number":"+15559990000","customer_id":"",'
            '"shop_id":"demo","appointment_id":"","token":"' + self.token + '"}'
        )
        await self.ws.send(
            '{"event":"start","streamSid":"'
            + sid
            + '","start":{"streamSid":"'
            + sid
            + '","callSid":"'
            + self.call_sid
            + '","customParameters":'
            + params
            + ',"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}'
        )
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for text in self.ws:
                now = time.monotonic_ns()
                if text.startswith('{"event":"media"'):
                    payload = text[text.index('"payload":"') + 11 : -3]
                    _, seq, _ = frame_id(payload)
                    sent = self.sent.pop(seq, None)
                    if not self.ready:
                        self.ready = True
                        self.sent.clear()  # frames before the session was configured don't count
                    elif sent is not None:
                        self.received += 1
                        if self.recording:
                            self.rtts.append(now - sent)
                    if not self.sent:
                        self._all_back.set()
                elif text.startswith('{"event":"mark"'):
                    self.pending_marks.append(text[text.index('"name":"') + 8 : -3])
                elif text.startswith('{"event":"clear"') and self.clear_at is None:
                    self.clear_at = now
        except ConnectionClosed:
            return  # the run ends by closing sockets
        finally:
            self._all_back.set()  # nothing more will come back

    async def all_back(self) -> None:
        """Until every frame sent so far has come back (or the socket closed)."""
        self._all_back.clear()
        if self.sent and not self.reader.done():
            await self._all_back.wait()

    async def tick(self, seq: int) -> None:
        if self.ws.close_code is not None:
            self.closed = True
            return
        if 0 <= self.speech_seq - seq < 10:
            await self._send_frame(seq)  # audio queues up just before the caller barges in
            return
        marks, self.pending_marks = self.pending_marks, []
        for name in marks:  # the audio of the previous tick has "played"
            await self.ws.send(self.mark_head + name + '"}}')
        await self._send_frame(seq)

    async def _send_frame(self, seq: int) -> None:
        self.sent[seq] = time.monotonic_ns()
        await self.ws.send(self.head + frame(self.index, seq, seq == self.speech_seq) + '"}}')

    async def stop(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send('{"event":"stop"}')
            await self.ws.close()


async def drive(url: str, n: int, seconds: float, token_for, pid: int | None) -> dict:
    calls = [CallDriver(i, url, token_for) for i in range(n)]
    for i in range(0, n, 25):  # ramp up 25 calls at a time
        await asyncio.gather(*(c.open() for c in calls[i : i + 25]))
    loop = asyncio.get_running_loop()
    start = loop.time()
    seq = late = 0
    measure_from = measure_to = None
    cpu0 = cpu1 = t0 = t1 = 0.0
    rss = 0
    while measure_to is None or seq < measure_to:
        if measure_from is None and (all(c.ready for c in calls) or loop.time() - start > 90):
            # every session is configured: 0.5 s to settle, then measure
            measure_from = seq + 25
            measure_to = measure_from + int(seconds / TICK)
            for c in calls:  # one barge-in per call, spread over the first second
                c.speech_seq = measure_from + 25 + c.index % 50
        if seq == measure_from:
            for c in calls:
                c.recording = True
            t0, cpu0 = time.monotonic(), cpu_seconds(pid) if pid else 0.0
        await asyncio.gather(*(c.tick(seq) for c in calls), return_exceptions=True)
        seq += 1
        delay = start + seq * TICK - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        elif measure_from is not None and seq > measure_from:
            late += 1
    t1, cpu1 = time.monotonic(), cpu_seconds(pid) if pid else 0.0
    rss = rss_bytes(pid) if pid else 0
    for c in calls:
        c.recording = False
    # A starved machine is late, not lossy: wait up to 15 s for stragglers.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(15):
            await asyncio.gather(*(c.all_back() for c in calls))
    lost = sum(len(c.sent) for c in calls)
    sent = (measure_to - measure_from) * n
    rtts = sorted(r for c in calls for r in c.rtts)
    result = {
        "n": n,
        "call_seconds": n * (t1 - t0),
        "cpu": cpu1 - cpu0,
        "rtts": rtts,
        "lost": lost,
        "sent": sent,
        "late_ticks": late,
        "ticks": measure_to - measure_from,
        "rss": rss,
        "clear_at": {c.index: c.clear_at for c in calls},
        "not_ready": sum(not c.ready for c in calls),
        "closed_early": sum(c.closed for c in calls),
    }
    await asyncio.gather(*(c.stop() for c in calls))
    return result


def pct(values: list[int], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))] / 1e6


# ----------------------------------------------------------------------------- local stack
MOTO = """
import logging, threading
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from pitstop_local.dynamodb import LocalDynamoDB
server = LocalDynamoDB().start()
print(server.endpoint, flush=True)
threading.Event().wait()
"""


class ToolsStub(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"tools": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_idle(url: str, timeout: float = 30) -> None:
    """Wait until the bridge has finished every call (records written) before stopping it."""
    import json
    import urllib.request

    health = url.replace("ws://", "http://").replace("/media-stream", "/health")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(health, timeout=5) as response:
            if json.load(response)["live_calls"] == 0:
                return
        time.sleep(0.1)


def start_bridge(
    env: dict, log_path: str, profile_path: str | None
) -> tuple[subprocess.Popen, str]:
    command = [sys.executable]
    if profile_path:
        command += ["-m", "cProfile", "-o", profile_path]
    command += ["-m", "media_bridge", "--host", "127.0.0.1", "--port", "0"]
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        for line in Path(log_path).read_text().splitlines():
            if line.startswith("media bridge on "):
                return process, line.split()[3]
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the bridge did not start; see {log_path}")


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    from pitstop.config import Settings
    from pitstop.dal import Crm
    from pitstop.models import AgentSettings, CallDirection, CallRecord, CallStatus
    from pitstop.seed import seed
    from pitstop.stream_token import issue_token, new_grant

    sizes = [int(x) for x in os.environ.get("BENCH_BRIDGE_N", "50,200,500").split(",")]
    seconds = float(os.environ.get("BENCH_BRIDGE_SECONDS", "6"))
    profile = os.environ.get("BENCH_BRIDGE_PROFILE") == "1"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    dynamo = subprocess.Popen(
        [sys.executable, "-c", MOTO], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    endpoint = dynamo.stdout.readline().strip()
    try:
        tools = ThreadingHTTPServer(("127.0.0.1", 0), ToolsStub)
        threading.Thread(target=tools.serve_forever, daemon=True).start()
        settings = Settings(table_name="bench-bridge", dynamodb_endpoint=endpoint)
        seed(settings, date.today())
        # The echo never reports caller speech: without this the bridge would (rightly) end
        # every call after the agent settings' silence timeout.
        crm = Crm(settings)
        crm.shops.put_settings(AgentSettings(silence_timeout_seconds=3600, max_call_seconds=3600))
        tmp = tempfile.mkdtemp(prefix="bench-bridge-")
        print(f"{os.cpu_count()} CPUs; {seconds:g} s measured per run", flush=True)

        def token_for(call_sid: str) -> str:
            """What the webhook does: record the call with its stream grant, then sign it.

            The bridge claims the grant on the call record before anything else, so a token
            without a record is (rightly) refused."""
            now = datetime.now(UTC)
            grant = new_grant(ttl=600, now=now.timestamp())
            record = CallRecord(
                call_sid=call_sid,
                direction=CallDirection.INBOUND,
                customer_number="+15550100000",
                shop_id=crm.settings.shop_id,
                status=CallStatus.IN_PROGRESS,
                stream_token_id=grant.token_id,
                stream_token_expires=grant.expires,
            )
            crm.calls.open_stream(record, now)
            return issue_token(call_sid, "inbound", STREAM_KEY, grant=grant)

        rows = []
        with Echo() as echo:
            echo_url = f"ws://127.0.0.1:{echo.port}/v1/realtime"
            env = {
                **os.environ,
                "PITSTOP_REALTIME_URL": echo_url,
                "PITSTOP_TABLE": settings.table_name,
                "PITSTOP_DYNAMODB_ENDPOINT": endpoint,
                "AWS_REGION": "us-east-1",
                "PITSTOP_TOOLS_URL": f"http://127.0.0.1:{tools.server_address[1]}/tools",
                "PITSTOP_STREAM_TOKEN_KEY": STREAM_KEY,
                "PITSTOP_TELEPHONY": "outbox",
                "PITSTOP_OUTBOX": f"{tmp}/outbox.jsonl",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "PITSTOP_BRIDGE_METRICS_INTERVAL": "3600",
                "PITSTOP_BRIDGE_DRAIN_SECONDS": "1",
                "PITSTOP_BRIDGE_REALTIME_OPEN_TIMEOUT": "30",
                # All of a run's calls open at once: none may be refused as "too many pending".
                "PITSTOP_BRIDGE_MAX_PENDING": str(max(sizes) + 100),
            }
            env.pop("OPENAI_API_KEY", None)
            for n in sizes:
                baseline = asyncio.run(drive(echo_url, n, seconds, token_for, None))
                echo.speech_times()
                profile_path = f"{tmp}/bridge-{n}.prof" if profile else None
                log_path = f"{tmp}/bridge-{n}.log"
                bridge, url = start_bridge(env, log_path, profile_path)
                try:
                    idle_rss = rss_bytes(bridge.pid)
                    run = asyncio.run(drive(url, n, seconds, token_for, bridge.pid))
                finally:
                    wait_idle(url, timeout=180)  # moto (one lock) writes 500 records slowly
                    bridge.terminate()  # SIGTERM: the bridge drains (nothing live) and exits
                    bridge.wait(60)
                speech = echo.speech_times()
                clears = sorted(
                    run["clear_at"][c] - t
                    for c, t in speech.items()
                    if run["clear_at"].get(c) is not None
                )
                row = {
                    "N": n,
                    # CPU per second of call actually relayed (50 frames each way), so a starved
                    # machine that relays fewer frames does not flatter the figure
                    "cpu_ms_per_call_s": 1000 * run["cpu"] / max(len(run["rtts"]) / 50, 1e-9),
                    "cpu_ms_per_wall_call_s": 1000 * run["cpu"] / run["call_seconds"],
                    "cpu_us_per_frame_pair": 1e6 * run["cpu"] / max(len(run["rtts"]), 1),
                    "rtt_p50": pct(run["rtts"], 0.5),
                    "rtt_p99": pct(run["rtts"], 0.99),
                    "base_p50": pct(baseline["rtts"], 0.5),
                    "base_p99": pct(baseline["rtts"], 0.99),
                    "lost": run["lost"],
                    "sent": run["sent"],
                    "rss_kib_per_call": (run["rss"] - idle_rss) / 1024 / n,
                    "clear_p50": pct(clears, 0.5),
                    "clear_p99": pct(clears, 0.99),
                    "clears": f"{len(clears)}/{n}",
                    "late": f"{run['late_ticks']}/{run['ticks']}",
                    "not_ready": run["not_ready"],
                    "closed_early": run["closed_early"],
                }
                rows.append(row)
                print(f"N={n}: {row}", flush=True)
                if profile_path:
                    import pstats

                    pstats.Stats(profile_path).sort_stats("tottime").print_stats(18)
        tools.shutdown()
    finally:
        dynamo.terminate()

    print(
        "\nbridge: Twilio ⇄ bridge ⇄ echoing Realtime, 20 ms μ-law frames each way, "
        "real-time pacing"
    )
    print(
        f"{'N':>5} {'CPU ms/call-s':>14} {'RTT p50/p99 ms':>16} {'base p50/p99':>14} "
        f"{'added p50/p99 ms':>17} {'lost':>10} {'RSS KiB/call':>13} {'clear p50/p99 ms':>17} "
        f"{'driver late ticks':>18}"
    )
    for r in rows:
        print(
            f"{r['N']:>5} {r['cpu_ms_per_call_s']:>14.3f} "
            f"{r['rtt_p50']:>7.2f}/{r['rtt_p99']:<8.2f} "
            f"{r['base_p50']:>6.2f}/{r['base_p99']:<7.2f} "
            f"{r['rtt_p50'] - r['base_p50']:>8.2f}/{r['rtt_p99'] - r['base_p99']:<8.2f} "
            f"{r['lost']:>4}/{r['sent']:<6} {r['rss_kib_per_call']:>12.1f} "
            f"{r['clear_p50']:>8.2f}/{r['clear_p99']:<8.2f} {r['late']:>18}"
        )
    print(f"load average during the run: {os.getloadavg()}")
    print(
        "added = bridge round trip (two traversals: caller→model and model→caller) minus the "
        "same driver talking to the echo directly."
    )


if __name__ == "__main__":
    main()
