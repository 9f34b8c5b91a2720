"""The phone line's clock, and the Media Streams session that Twilio runs on it.

Why a tick-driven line: Twilio streams one 20 ms μ-law frame every 20 ms for as long as the
stream is open (silence included), and plays the agent's audio at the same rate. Modelling that
as one clock, where each tick sends one caller frame and plays one agent frame, gives a single
timeline (in call milliseconds) for everything: what the caller said when, when each agent
frame was heard, when marks came back, when `clear` dropped audio. Barge-in latency and the
stereo recording both come straight from it. `speed` shortens each tick in wall time (tests),
while the audio and the timeline stay exactly what a real call would carry.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from websockets.exceptions import ConnectionClosed

from pitstop_local.simulator.media_protocol import TwilioError, check_outbound
from pitstop_local.speech import codec

log = logging.getLogger(__name__)

FRAME_MS = codec.FRAME_MS
FRAME_BYTES = codec.FRAME_BYTES
SILENCE_FRAME = codec.MULAW_SILENCE * FRAME_BYTES
#: Agent silence (ticks) that separates two turns of talk, for transcript timestamps.
TURN_GAP_TICKS = 25
#: RMS (PCM16) above which a caller frame counts as speech rather than TTS's leading silence.
SPEECH_RMS = 300.0


def frame_rms(frame: bytes) -> float:
    pcm = np.frombuffer(codec.mulaw_to_pcm16(frame), dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(pcm * pcm))) if pcm.size else 0.0


@dataclass
class _Audio:
    data: bytes
    offset: int = 0


@dataclass
class _Mark:
    name: str


@dataclass
class LineEvent:
    """Something that happened on the line, at call time `ms`."""

    ms: int
    kind: str  # mark_acked | clear | dtmf | barge_in | stop | remote_closed | twilio_error
    detail: dict = field(default_factory=dict)


class Clock:
    """Call time in 20 ms ticks, paced against wall time (divided by `speed`).

    Every tick records one caller frame and one agent frame, so the two channels of the
    recording always line up. Waiters are resumed on the tick that satisfies them.
    """

    def __init__(self, speed: float = 1.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self.tick = 0
        self.caller_audio = bytearray()
        self.agent_audio = bytearray()
        self.agent_played: bytearray = bytearray()  # 1 per tick when an agent frame was heard
        self._interval = FRAME_MS / 1000.0 / speed
        self._origin: float | None = None
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future]] = []

    @property
    def ms(self) -> int:
        return self.tick * FRAME_MS

    def record(self, caller: bytes, agent: bytes | None) -> None:
        self.caller_audio += caller
        self.agent_audio += agent if agent is not None else SILENCE_FRAME
        self.agent_played.append(1 if agent is not None else 0)

    async def advance(self) -> None:
        """End the current tick: wake satisfied waiters, then wait for the next tick's slot."""
        loop = asyncio.get_running_loop()
        if self._origin is None:
            self._origin = loop.time() - self.tick * self._interval
        self.tick += 1
        self._wake()
        delay = self._origin + self.tick * self._interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing: the line's real-time rate, not synchronisation
        elif delay < -0.5:
            # We fell far behind (an overloaded machine): re-anchor rather than burst frames.
            self._origin = loop.time() - self.tick * self._interval

    def rebase(self) -> None:
        """Forget wall-time history (after waiting on the network between line segments)."""
        self._origin = None

    def _wake(self) -> None:
        still = []
        for predicate, future in self._waiters:
            if future.done():
                continue
            try:
                ok = predicate()
            except Exception as error:  # noqa: BLE001 - a broken predicate must not stop the line
                future.set_exception(error)
                continue
            if ok:
                future.set_result(True)
            else:
                still.append((predicate, future))
        self._waiters = still

    async def until(self, predicate: Callable[[], bool], timeout_ms: int | None = None) -> bool:
        """Wait (in call time) until `predicate()` holds; False when `timeout_ms` passed first."""
        deadline = None if timeout_ms is None else self.tick + max(1, timeout_ms // FRAME_MS)
        if predicate():
            return True
        future = asyncio.get_running_loop().create_future()

        def check() -> bool:
            return predicate() or (deadline is not None and self.tick >= deadline)

        self._waiters.append((check, future))
        await future
        return predicate()

    def wait_ms(self, ms: int):
        target = self.tick + max(0, ms // FRAME_MS)
        return self.until(lambda: self.tick >= target)

    def fail_waiters(self, error: BaseException) -> None:
        for _, future in self._waiters:
            if not future.done():
                future.set_exception(error)
        self._waiters = []


class LineClosed(Exception):
    """The stream ended (the other side closed it, or the call was redirected / hung up)."""


class MediaSession:
    """One Media Streams WebSocket, driven the way Twilio drives it.

    Sends `connected`, `start`, then one inbound `media` frame per tick (caller speech queued
    by `speak`, otherwise silence), `dtmf` on request and `stop` at the end. Agent `media`
    goes into a playback buffer played one frame per tick; a `mark` is echoed once the audio
    queued before it has been played; `clear` drops buffered audio and echoes pending marks.

    `strict` (the default): a message Twilio would not accept (see `media_protocol`) is dropped
    and recorded in `errors` with Twilio's code, as Twilio's debugger would record it.
    """

    def __init__(
        self,
        ws,
        clock: Clock,
        *,
        stream_sid: str,
        call_sid: str,
        account_sid: str,
        parameters: dict[str, str],
        on_event: Callable[[LineEvent], None] | None = None,
        poll: Callable[[], str | None] | None = None,
        strict: bool = True,
    ):
        self.ws = ws
        self.strict = strict
        self.errors: list[TwilioError] = []
        self.clock = clock
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.account_sid = account_sid
        self.parameters = parameters
        self.events: list[LineEvent] = []
        self.closed_reason: str | None = None
        self.last_agent_tick = -1
        self.agent_frames = 0
        self.agent_turn_start_ms = 0  # when the agent's current (or last) stretch of talk began
        self._on_event = on_event
        self._poll = poll  # returns a reason to end the stream (REST redirect / hang-up), or None
        self._inbound: deque[tuple[bytes, str | None]] = deque()
        self._playback: deque[_Audio | _Mark] = deque()
        self._pending_marks: list[str] = []
        self._seq = 0
        self._chunk = 0
        self._send_lock = asyncio.Lock()
        self._tagged: dict[str, int] = {}

    # ---- what the caller does ---------------------------------------------------------------
    def speak(self, mulaw: bytes, tag: str | None = None) -> int:
        """Queue caller audio; returns the tick at which its last frame will have been sent.

        With `tag`, the tick of the first voiced frame is recorded (see `tagged_tick`)."""
        first_voiced = True
        for frame in codec.frames(mulaw):
            mark = None
            if tag and first_voiced and frame_rms(frame) >= SPEECH_RMS:
                mark, first_voiced = tag, False
            self._inbound.append((frame, mark))
        return self.clock.tick + len(self._inbound)

    def tagged_tick(self, tag: str) -> int | None:
        return self._tagged.get(tag)

    @property
    def caller_queue_empty(self) -> bool:
        return not self._inbound

    @property
    def agent_buffered(self) -> bool:
        return any(isinstance(item, _Audio) for item in self._playback)

    def agent_quiet_ms(self) -> int:
        """Call-time since the last agent frame was heard (large when it never spoke)."""
        if self.last_agent_tick < 0:
            return 10**9
        return (self.clock.tick - 1 - self.last_agent_tick) * FRAME_MS

    async def dtmf(self, digit: str) -> None:
        await self._send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )
        self._event("dtmf", digit=digit)

    # ---- protocol ---------------------------------------------------------------------------
    async def open(self) -> None:
        await self.ws.send(
            json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        )
        await self._send(
            {
                "event": "start",
                "streamSid": self.stream_sid,
                "start": {
                    "streamSid": self.stream_sid,
                    "accountSid": self.account_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "customParameters": dict(self.parameters),
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                },
            }
        )

    async def run(self) -> str:
        """Stream until the remote side closes or `poll` says the call moved on; returns why."""
        receiver = asyncio.create_task(self._receive(), name=f"rx-{self.call_sid}")
        try:
            while self.closed_reason is None:
                await self._tick()
                if self._poll is not None and self.clock.tick % 5 == 0:
                    reason = self._poll()
                    if reason:
                        await self.stop(reason)
        finally:
            receiver.cancel()
            await asyncio.gather(receiver, return_exceptions=True)
        return self.closed_reason

    async def stop(self, reason: str = "caller_hung_up") -> None:
        """Twilio ends the stream: `stop`, then the WebSocket closes."""
        if self.closed_reason is not None:
            return
        self.closed_reason = reason
        try:
            await self._send(
                {
                    "event": "stop",
                    "streamSid": self.stream_sid,
                    "stop": {"accountSid": self.account_sid, "callSid": self.call_sid},
                }
            )
            await self.ws.close()
        except (ConnectionClosed, OSError) as error:  # the other side may already be gone
            log.debug("stream already closed: %r", error)
        self._event("stop", reason=reason)

    async def _tick(self) -> None:
        frame, tag = self._inbound.popleft() if self._inbound else (SILENCE_FRAME, None)
        if tag:
            self._tagged[tag] = self.clock.tick
            self._event(tag)
        self._chunk += 1
        sent = await self._send(
            {
                "event": "media",
                "streamSid": self.stream_sid,
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str(self.clock.ms),
                    "payload": base64.b64encode(frame).decode(),
                },
            }
        )
        played, acks = self._play_frame()
        if played is not None:
            if self.clock.tick - self.last_agent_tick > TURN_GAP_TICKS or self.last_agent_tick < 0:
                self.agent_turn_start_ms = self.clock.ms
            self.last_agent_tick = self.clock.tick
            self.agent_frames += 1
        self.clock.record(frame, played)
        for name in acks:
            await self._ack(name)
        if not sent and self.closed_reason is None:
            self.closed_reason = "remote_closed"
            self._event("remote_closed")
        await self.clock.advance()

    def _play_frame(self) -> tuple[bytes | None, list[str]]:
        out = bytearray()
        acks: list[str] = []
        while self._playback and (len(out) < FRAME_BYTES or isinstance(self._playback[0], _Mark)):
            item = self._playback[0]
            if isinstance(item, _Mark):
                acks.append(item.name)
                self._playback.popleft()
                continue
            take = min(FRAME_BYTES - len(out), len(item.data) - item.offset)
            out += item.data[item.offset : item.offset + take]
            item.offset += take
            if item.offset >= len(item.data):
                self._playback.popleft()
        if not out:
            return None, acks
        if len(out) < FRAME_BYTES:
            out += codec.MULAW_SILENCE * (FRAME_BYTES - len(out))
        return bytes(out), acks

    async def _ack(self, name: str) -> None:
        await self._send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
        self._event("mark_acked", name=name)

    async def _receive(self) -> None:
        try:
            async for raw in self.ws:
                message = self._accept(raw)
                if message is not None:
                    await self._handle(message)
        except (ConnectionClosed, OSError) as error:  # the stream is over either way
            log.debug("stream receive ended: %r", error)
        if self.closed_reason is None:
            self.closed_reason = "remote_closed"
            self._event("remote_closed")

    def _accept(self, raw: str | bytes) -> dict | None:
        """The message as Twilio would act on it, or None (dropped, and in strict mode recorded
        with Twilio's error code)."""
        if self.strict:
            message, error = check_outbound(raw, self.stream_sid)
            if error is not None:
                self._twilio_error(error)
            return message
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            log.warning("non-JSON frame from the stream server")
            return None
        return message if isinstance(message, dict) else None

    def _twilio_error(self, error: TwilioError) -> None:
        error = TwilioError(error.code, error.message, self.clock.ms)
        if all(e.code != error.code for e in self.errors):  # Twilio reports once per stream
            log.warning("simulated Twilio: call %s: %s", self.call_sid, error)
        self.errors.append(error)
        self._event("twilio_error", code=error.code, message=error.message)

    async def _handle(self, message: dict) -> None:
        event = message.get("event")
        if message.get("streamSid") not in (None, self.stream_sid):
            log.warning("message for another stream ignored: %s", message.get("streamSid"))
            return
        if event == "media":
            payload = base64.b64decode(message.get("media", {}).get("payload", ""))
            if payload:
                self._playback.append(_Audio(payload))
        elif event == "mark":
            self._playback.append(_Mark(str(message.get("mark", {}).get("name", ""))))
        elif event == "clear":
            dropped = sum(len(i.data) - i.offset for i in self._playback if isinstance(i, _Audio))
            marks = [i.name for i in self._playback if isinstance(i, _Mark)]
            self._playback.clear()
            self._event("clear", dropped_ms=dropped * 1000 // 8000)
            for name in marks:  # Twilio echoes the marks a clear discarded
                await self._ack(name)

    async def _send(self, message: dict) -> bool:
        self._seq += 1
        message = {
            "event": message["event"],
            "sequenceNumber": str(self._seq),
            **{k: v for k, v in message.items() if k != "event"},
        }
        try:
            async with self._send_lock:
                await self.ws.send(json.dumps(message, separators=(",", ":")))  # as Twilio
            return True
        except (ConnectionClosed, OSError):
            return False

    def _event(self, kind: str, **detail) -> None:
        event = LineEvent(self.clock.ms, kind, detail)
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)
