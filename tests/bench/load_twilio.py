"""The load generator: N simulated Twilio calls at real-time pacing, over picows on uvloop.

Per call, every 20 ms: the marks that came back since the last tick are acknowledged (the audio
before them has "played") and one 160-byte μ-law `media` frame goes out, in Twilio's own message
shape. Each frame carries its call and sequence number (`frames.frame_head`), so a frame that comes
back as Twilio `media` gives one round trip (send → relay → Realtime stand-in → relay → here).
For the 10 ticks before its barge-in a call holds its marks back (agent audio is queued, as when
the agent is talking), then sends a frame flagged "speech"; the `clear` that follows is stamped.

Calls are spread over several worker processes (`Load`) so the generator is never the
bottleneck; each worker sends synchronously from a timer callback (no task per call), its calls
spread over the 20 ms in `PHASES` steps as independent calls are. The run: workers open their
calls and tick; when every call has heard its first frame back they report ready; the parent
sends the measured window (CLOCK_MONOTONIC, shared by processes); after it, a worker stops
ticking, waits for frames still on their way, and reports. Every frame sent in the window is
timed however late it comes back; frames sent before a call's first echo (its session not yet
configured) do not count.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from tests.bench.frames import FRAME_TAIL, HEAD_CHARS, TICK, Field, frame_head

RAMP = 25  # calls opened at a time
READY_TIMEOUT = 90.0  # seconds for every call's first echo
GRACE = 15.0  # seconds for frames still on their way after the window: a starved machine is late
HELD_TICKS = 10  # ticks a call holds its marks back before its barge-in
PHASES = 10  # the calls' frames are spread over the tick in this many steps
STEP = TICK / PHASES
LATE_NS = 5_000_000  # a step that starts this late is counted as late
EVENT, PAYLOAD, NAME = Field("event"), Field("payload"), Field("name")


@dataclass(frozen=True)
class CallSpec:
    """One call to place: its index (unique in the run), CallSid and stream token ("" for none)."""

    index: int
    call_sid: str
    token: str = ""


@dataclass
class Window:
    """The measured window, in time.monotonic() seconds."""

    start: float
    end: float


class TwilioCall(WSListener):
    """One simulated call: Twilio's side of a Media Stream."""

    def __init__(self, spec: CallSpec, worker: Worker):
        self.spec = spec
        self.worker = worker
        sid = f"MZ{uuid.uuid4().hex}"
        self.sid = sid
        self.media_head = (
            b'{"event":"media","sequenceNumber":"0","media":{"track":"inbound","chunk":"0",'
            b'"timestamp":"0","payload":"'
        )
        self.media_tail = FRAME_TAIL + b'"},"streamSid":"' + sid.encode() + b'"}'
        self.mark_head = (
            b'{"event":"mark","sequenceNumber":"0","streamSid":"'
            + sid.encode()
            + b'","mark":{"name":"'
        )
        self.transport: WSTransport | None = None
        # frame head → (monotonic_ns sent, sent in the window), for frames not back yet
        self.sent: dict[bytes, tuple[int, bool]] = {}
        self.sent_count = 0  # frames sent in the measured window
        self.rtts: list[int] = []
        self.pending_marks: list[bytes] = []
        self.marks = 0  # marks the relay sent after its audio
        self.ready = False
        self.closed = False
        self.clear_at: int | None = None
        self.speech_seq = -1

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        transport.send(WSMsgType.TEXT, '{"event":"connected","protocol":"Call","version":"1.0.0"}')
        spec = self.spec
        params = (
            '{"direction":"inbound","customer_number":"+15559990000","customer_id":"",'
            '"shop_id":"demo","appointment_id":"","token":"' + spec.token + '"}'
        )
        transport.send(
            WSMsgType.TEXT,
            '{"event":"start","sequenceNumber":"1","start":{"accountSid":"ACbench","streamSid":"'
            + self.sid
            + '","callSid":"'
            + spec.call_sid
            + '","tracks":["inbound"],"customParameters":'
            + params
            + ',"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}},'
            '"streamSid":"' + self.sid + '"}',
        )

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        now = time.monotonic_ns()
        if frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        data = frame.get_payload_as_bytes()
        event = EVENT(data)
        if event == b"media":
            self._echoed((PAYLOAD(data) or b"")[:HEAD_CHARS], now)
        elif event == b"mark":
            self.marks += 1
            self.pending_marks.append(NAME(data) or b"")
        elif event == b"clear" and self.clear_at is None:
            self.clear_at = now

    def _echoed(self, head: bytes, now: int) -> None:
        sent = self.sent.pop(head, None)
        if not self.ready:
            self.ready = True
            self.sent.clear()  # frames before the session was configured don't count
            self.worker.settled()
        elif sent is not None and sent[1]:
            self.rtts.append(now - sent[0])  # however late it comes back
        if not self.sent:
            self.worker.maybe_all_back()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        if not self.ready:
            self.worker.settled()
        self.worker.maybe_all_back()

    def tick(self, seq: int) -> None:
        transport = self.transport
        if transport is None or self.closed:
            return
        if not 0 <= self.speech_seq - seq < HELD_TICKS:
            for name in self.pending_marks:  # the audio of the previous tick has "played"
                transport.send(WSMsgType.TEXT, self.mark_head + name + b'"}}')
            self.pending_marks.clear()
        head = frame_head(self.spec.index, seq, seq == self.speech_seq)
        recording = self.worker.recording
        self.sent_count += recording
        self.sent[head] = (time.monotonic_ns(), recording)
        transport.send(WSMsgType.TEXT, self.media_head + head + self.media_tail)

    async def stop(self) -> None:
        """Twilio's `stop`, then close and wait for the socket to go."""
        transport = self.transport
        if transport is None or self.closed:
            return
        transport.send(
            WSMsgType.TEXT,
            '{"event":"stop","sequenceNumber":"9","streamSid":"' + self.sid + '","stop":'
            '{"accountSid":"ACbench","callSid":"' + self.spec.call_sid + '"}}',
        )
        transport.send_close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await transport.wait_disconnected()


@dataclass
class Worker:
    """One load process: its calls, their tick loop, and the conversation with the parent."""

    url: str
    specs: list[CallSpec]
    parent: Connection
    calls: list[TwilioCall] = field(default_factory=list)
    recording: bool = False
    window: Window | None = None
    ticks: int = 0  # steps (PHASES per tick) in the window
    late: int = 0  # of those, started more than LATE_NS late
    _settled: int = 0  # calls that heard their first echo, or closed (or failed to open) first
    _all_ready: asyncio.Event = field(default_factory=asyncio.Event)
    _all_back: asyncio.Event = field(default_factory=asyncio.Event)
    _ticked_out: asyncio.Event = field(default_factory=asyncio.Event)

    def settled(self) -> None:
        self._settled += 1
        if self._settled == len(self.specs):
            self._all_ready.set()

    def maybe_all_back(self) -> None:
        if self._ticked_out.is_set() and all(c.closed or not c.sent for c in self.calls):
            self._all_back.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        await self._open()
        self._start_ticking(loop)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READY_TIMEOUT):
                await self._all_ready.wait()
        self._tell(("ready", sum(not c.ready for c in self.calls)))
        window = await self._receive(loop)  # or "stop": calls that only warm the relay up
        if isinstance(window, Window):
            await self._measure(window)
            await self._receive(loop)  # "stop"
        await asyncio.gather(*(c.stop() for c in self.calls))

    async def _measure(self, window: Window) -> None:
        self.window = window
        first = self._seq_at(window.start)
        for call in self.calls:  # one barge-in per call, spread over the first second
            call.speech_seq = first + 25 + call.spec.index % 50
        await self._ticked_out.wait()
        self.maybe_all_back()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(GRACE):
                await self._all_back.wait()
        self._tell(("result", self._result()))

    async def _open(self) -> None:
        for at in range(0, len(self.specs), RAMP):
            batch = [TwilioCall(spec, self) for spec in self.specs[at : at + RAMP]]
            opened = await asyncio.gather(
                *(
                    ws_connect(lambda c=c: c, self.url, websocket_handshake_timeout=30)
                    for c in batch
                ),
                return_exceptions=True,
            )
            for call, result in zip(batch, opened, strict=True):
                if isinstance(result, BaseException):  # refused: it counts as closed early
                    call.closed = True
                    self.settled()
            self.calls.extend(batch)

    def _start_ticking(self, loop: asyncio.AbstractEventLoop) -> None:
        """Every call sends a frame each TICK; call i in phase i % PHASES of it, as independent
        calls do (a burst of every call at once would time the burst, not the relay)."""
        self._t0 = time.monotonic()
        phases: list[list[TwilioCall]] = [[] for _ in range(PHASES)]
        for call in self.calls:
            phases[call.spec.index % PHASES].append(call)

        def step(at: int) -> None:
            started = time.monotonic()
            window = self.window
            if window is not None:
                if started >= window.end:
                    self.recording = False
                    self._ticked_out.set()
                    return
                self.recording = started >= window.start
                if self.recording:
                    self.ticks += 1
                    if (started - self._t0 - at * STEP) * 1e9 > LATE_NS:
                        self.late += 1
            seq, phase = divmod(at, PHASES)
            for call in phases[phase]:
                call.tick(seq)
            loop.call_later(max(0.0, self._t0 + (at + 1) * STEP - time.monotonic()), step, at + 1)

        step(0)

    def _seq_at(self, when: float) -> int:
        return int((when - self._t0) / TICK) + 1

    def _tell(self, message: tuple[str, Any]) -> None:
        """Send to the parent, blocking: the loop's reader made the pipe non-blocking, and a
        long run's result is larger than its buffer."""
        os.set_blocking(self.parent.fileno(), True)
        self.parent.send(message)

    async def _receive(self, loop: asyncio.AbstractEventLoop) -> Any:
        """The parent's next message, without blocking the loop."""
        got: asyncio.Future[Any] = loop.create_future()

        def readable() -> None:
            loop.remove_reader(self.parent.fileno())
            got.set_result(self.parent.recv())

        loop.add_reader(self.parent.fileno(), readable)
        return await got

    def _result(self) -> dict[str, Any]:
        calls = self.calls
        return {
            "rtts": [r for c in calls for r in c.rtts],
            "sent": sum(c.sent_count for c in calls),
            "lost": sum(len(c.sent) for c in calls if c.ready),
            "marks": sum(c.marks for c in calls),
            "ticks": self.ticks,
            "late": self.late,
            "clear_at": {c.spec.index: c.clear_at for c in calls if c.clear_at is not None},
            "not_ready": sum(not c.ready for c in calls),
            "closed_early": sum(c.closed for c in calls),
        }


def _worker_process(url: str, specs: list[CallSpec], parent: Connection) -> None:
    import uvloop

    async def main() -> None:
        await Worker(url, specs, parent).run()

    uvloop.run(main())


class Load:
    """The load generator's processes, seen from the parent."""

    def __init__(self, url: str, specs: list[CallSpec], processes: int):
        ctx = mp.get_context("spawn")
        self._pipes: list[Connection] = []
        self.processes = []
        for k in range(processes):
            mine, theirs = ctx.Pipe()
            share = specs[k::processes]
            self._pipes.append(mine)
            self.processes.append(
                ctx.Process(target=_worker_process, args=(url, share, theirs), daemon=True)
            )

    def __enter__(self) -> Load:
        for process in self.processes:
            process.start()
        return self

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def wait_ready(self) -> int:
        """Block until every worker is ready; how many calls never heard their first echo."""
        return sum(self._expect(pipe, "ready") for pipe in self._pipes)

    def measure(self, window: Window) -> None:
        for pipe in self._pipes:
            pipe.send(window)

    def results(self) -> dict[str, Any]:
        """Every worker's result, merged (blocks until the window and its grace are over)."""
        merged: dict[str, Any] = {"rtts": [], "clear_at": {}}
        for pipe in self._pipes:
            result = self._expect(pipe, "result")
            merged["rtts"] += result.pop("rtts")
            merged["clear_at"].update(result.pop("clear_at"))
            for key, value in result.items():
                merged[key] = merged.get(key, 0) + value
        return merged

    @staticmethod
    def _expect(pipe: Connection, kind: str) -> Any:
        got, value = pipe.recv()
        if got != kind:
            raise RuntimeError(f"load worker sent {got!r}, expected {kind!r}")
        return value

    def __exit__(self, *exc: object) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send("stop")
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.kill()
