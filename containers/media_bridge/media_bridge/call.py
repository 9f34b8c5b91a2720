"""One Twilio media stream: refused unless it starts with a valid token, then one call.

`MediaStream` reads up to Twilio's `start`, checks the stream token's signature, and consumes
the token on the call record (a conditional write: once, never after the call ended, never for
a second concurrent stream) before anything else happens. Who the call is with comes back from
that claim, as the webhook recorded it; the stream's own parameters are informational only.
`CallSession` is the call from then on; every part of it exists from its first line:
the call's state, its Twilio socket and record, call control. Its tasks are the Twilio reader
(caller audio, marks, DTMF, stop), and once the Realtime session is open the Realtime reader
(which reconnects when the link drops) and the watchdog. Anything that goes wrong inside one
call is caught here and ends at most that call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from media_bridge import realtime_side as rt
from media_bridge import twilio_side as tw
from media_bridge.call_state import CallContext, CallState
from media_bridge.control import CallControl
from media_bridge.conversation import Conversation
from media_bridge.instructions import AgentBrief, fallback_brief, load_brief
from media_bridge.observability import bind_call, logger, mask_phone
from media_bridge.parts import CallParts
from media_bridge.recorder import CallRecorder
from media_bridge.recording import CallRecording, open_recording
from media_bridge.runtime import Runtime
from media_bridge.twilio_side import MARK_HEAD, MEDIA_HEAD, NAME_KEY, PAYLOAD_KEY
from media_bridge.upstream import Upstream, open_any
from media_bridge.ws import ConnectionClosed, WebSocket
from pitstop.models import CallDirection, CallOutcome, CallStatus, ResumeReason
from pitstop.stream_token import InvalidStreamToken, verify_token


async def _quietly(awaitable: Awaitable[object]) -> None:
    """Await a best-effort step of shutting a call down; its failure changes nothing."""
    try:
        await awaitable
    except Exception:
        logger.debug("ignored error", exc_info=True)


@dataclass(frozen=True, slots=True)
class Admission:
    """A stream let in: Twilio's `start`, the call's recorded context, the token it consumed."""

    start: tw.Start
    context: CallContext
    token_id: str
    started_at: float  # when `start` arrived (monotonic): the call's waits run from here


class MediaStream:
    """One Twilio WebSocket, from its opening to the end of its call (if it gets one)."""

    def __init__(self, runtime: Runtime, ws: WebSocket):
        self._runtime = runtime
        self._ws = ws
        self.call: CallSession | None = None  # None until a `start` with a valid token

    @property
    def call_sid(self) -> str | None:
        return self.call.parts.call_sid if self.call is not None else None

    async def run(self) -> None:
        admission = await self._admit()
        if admission is not None:
            self.call = CallSession(self._runtime, self._ws, admission)
            await self.call.run()

    async def handoff(self, reason: str, *, wait_audio: bool = True) -> None:
        """Hand the call to a person (a stream without a call yet has nobody to hand off)."""
        if self.call is not None:
            await self.call.control.handoff(reason, wait_audio=wait_audio)

    async def _admit(self) -> Admission | None:
        """Twilio's `start`, its token checked and consumed, before anything else happens."""
        start = await self._await_start()
        if start is None:
            return None
        started_at = time.monotonic()
        try:
            key = await self._runtime.token_key()
            direction = start.parameters.get("direction", "")
            token_id = verify_token(start.parameters.get("token"), start.call_sid, direction, key)
        except InvalidStreamToken as error:
            await self._refuse(start, 1008, "invalid stream token", str(error))
            return None
        try:
            context = await self._claim(start, direction, token_id)
        except Exception:
            logger.exception("could not claim the stream", extra={"call_sid": start.call_sid})
            await self._refuse(start, 1011, "call record unavailable", "claim failed")
            return None
        if context is None:
            await self._refuse(start, 1008, "stream token already used", "replayed or call over")
            return None
        return Admission(start, context, token_id, started_at)

    async def _claim(self, start: tw.Start, direction: str, token_id: str) -> CallContext | None:
        """Consume the token on the call record; the context the webhook recorded, or None.

        Without a CRM (benchmarks) there is no record: the call knows only what was signed."""
        crm = self._runtime.crm
        if crm is None:
            return CallContext.signed_only(start.call_sid, start.stream_sid, direction)
        now = datetime.now(UTC)
        recorded = await asyncio.to_thread(crm.calls.claim_stream, start.call_sid, token_id, now)
        return None if recorded is None else CallContext.from_record(start.stream_sid, recorded)

    async def _refuse(self, start: tw.Start, code: int, reason: str, detail: str) -> None:
        logger.warning(
            "refused stream", extra={"call_sid": start.call_sid, "refusal": reason, "why": detail}
        )
        self._runtime.metrics.count("StreamsRefused")
        await _quietly(self._ws.close(code, reason))

    async def _await_start(self) -> tw.Start | None:
        """Read until Twilio's `start` (within `start_timeout`); None if it never comes."""
        ws = self._ws
        try:
            async with asyncio.timeout(self._runtime.options.start_timeout):
                return await self._first_start()
        except tw.TwilioProtocolError as error:
            logger.warning("refused stream: bad frame before start", extra={"error": str(error)})
            await ws.close(1008, "expected start")
        except (TimeoutError, ConnectionClosed):
            await _quietly(ws.close(1008, "no start"))
        return None

    async def _first_start(self) -> tw.Start | None:
        """Twilio's `start` (after its `connected`); None when the socket closes first."""
        async for frame in self._ws:
            message = tw.parse_message(frame)
            if isinstance(message, tw.Start):
                return message
            if not isinstance(message, tw.Connected):
                raise tw.TwilioProtocolError(f"{type(message).__name__.lower()} before start")
        return None


class CallerInput(Protocol):
    """Where the caller's keypad presses and Twilio's marks (what was heard) go.

    `played` runs in the Twilio socket's frame callback (the hot path): it must not block. A
    mark's name is its UTF-8. (Caller audio goes straight to the Realtime link:
    `Upstream.append`.)"""

    async def dtmf(self, digit: str) -> None: ...

    def played(self, mark: bytes) -> None: ...


def _unheard(payload: bytes) -> None:
    """Caller audio before the Realtime session is open: there is no agent to hear it yet."""


class _NotRelaying:
    """Caller input before the Realtime session is open: marks still say what was heard."""

    def __init__(self, state: CallState):
        self._state = state

    def played(self, mark: bytes) -> None:
        self._state.playout.acked(mark)

    async def dtmf(self, digit: str) -> None:
        return None


class CallSession:
    """A call, from Twilio's `start` to its record's last write."""

    # Slots, here and on every object the hot path touches: a frame reads a few fields of a few
    # objects, at fixed offsets, not through one hash table per object (hundreds of calls'
    # objects do not fit in a cache; fewer lines touched per frame is CPU saved).
    __slots__ = ("_audio", "_caller_left", "_input", "_on_cleanup", "_ws", "control", "parts")

    def __init__(self, runtime: Runtime, ws: WebSocket, admission: Admission):
        state = CallState(admission.context, started_at=admission.started_at)
        ended = asyncio.Event()
        calls = runtime.crm.calls if runtime.crm is not None else None
        stream_sid = admission.start.stream_sid
        self.parts = CallParts(
            runtime=runtime,
            state=state,
            twilio=tw.TwilioLeg(ws, stream_sid, state, ended),
            recorder=CallRecorder(calls, state.context.call_sid, admission.token_id),
            ended=ended,
        )
        self.control = CallControl(self.parts)
        self._ws = ws
        self._input: CallerInput = _NotRelaying(state)
        self._audio: Callable[[bytes], None] = _unheard
        self._caller_left = False
        self._on_cleanup = contextlib.AsyncExitStack()  # what the Realtime side leaves to close

    async def run(self) -> None:
        try:
            await self._serve()
        except Exception:
            logger.exception("call failed")
            if not self.control.done and not self._caller_left:
                await _quietly(self.control.handoff("bridge_error", wait_audio=False))
        finally:
            await self._cleanup()

    async def _serve(self) -> None:
        parts = self.parts
        runtime, options = parts.runtime, parts.runtime.options
        self._start_record()
        parts.spawn(self._twilio_reader(), "twilio-reader")
        brief = await self._load_brief()
        self.control.brief = brief
        context = parts.state.context
        parts.state.recording = open_recording(
            brief.settings, context.call_sid, context.stream_sid, runtime.metrics
        )
        self._relay_audio(_unheard)
        session_event = rt.session_update(
            instructions=brief.instructions,
            tools=await runtime.tool_definitions(),
            voice=brief.settings.voice,
            language=brief.settings.language,
            transcription_model=options.transcription_model,
            audio=brief.settings.session_audio(),
            max_output_tokens=brief.settings.max_output_tokens_per_response,
        )
        if parts.ended.is_set():
            return
        models = [brief.model, brief.settings.fallback_model]
        urls = [
            rt.realtime_url(runtime.settings.realtime_url, m) for m in dict.fromkeys(models) if m
        ]
        opened = await open_any(parts, urls, session_event)
        if opened is None:
            if not parts.ended.is_set():
                await self.control.handoff("ai_unavailable", wait_audio=False)
        else:
            link, url = opened
            upstream = Upstream(parts, link, [url] + [u for u in urls if u != url], session_event)
            await self._converse(upstream, brief)
        await parts.ended.wait()

    def _start_record(self) -> None:
        """The webhook wrote the record and the claim stamped it: nothing to write, only log."""
        context = self.parts.state.context
        bind_call(context.call_sid)
        logger.info(
            "call started",
            extra={
                "direction": context.direction,
                "customer_number": mask_phone(context.customer_number),
                "resume_reason": context.resume_reason,
            },
        )

    async def _load_brief(self) -> AgentBrief:
        runtime = self.parts.runtime
        if runtime.crm is None:
            return fallback_brief(runtime.settings)
        try:
            return await asyncio.to_thread(
                load_brief,
                runtime.crm,
                self.parts.state.context,
                runtime.settings,
                datetime.now(UTC),
            )
        except Exception:
            logger.exception("could not read the shop and customer; using the fallback brief")
            return fallback_brief(runtime.settings)

    async def _converse(self, upstream: Upstream, brief: AgentBrief) -> None:
        """The session is confirmed: caller audio flows, the agent speaks first."""
        parts = self.parts
        conversation = Conversation(parts, self.control, upstream, brief)
        self._on_cleanup.push_async_callback(upstream.close)
        self._on_cleanup.callback(conversation.tools.cancel_all)
        self._on_cleanup.callback(conversation.gate.close)
        self._on_cleanup.callback(conversation.keypad.close)
        self._on_cleanup.callback(conversation.transcript.finish)
        parts.state.relaying = True
        self._input = conversation
        self._relay_audio(upstream.append)
        await self._open_conversation(conversation, upstream, brief)
        parts.spawn(conversation.read(), "realtime-reader")
        parts.spawn(self.control.watchdog(conversation, brief.settings), "watchdog")

    async def _open_conversation(
        self, conversation: Conversation, upstream: Upstream, brief: AgentBrief
    ) -> None:
        """The agent speaks first: the greeting, or on a resumed stream (nobody picked up the
        handoff) the conversation so far and an apology that offers a message or a booking."""
        if self.parts.state.context.resume_reason is not ResumeReason.HANDOFF_UNANSWERED:
            await conversation.gate.request()
            return
        upstream.earlier = brief.earlier
        await upstream.restore([])
        self.parts.runtime.metrics.count("ResumedStreams")
        await conversation.respond(f"{brief.line('resumed')}\n{brief.line('unanswered')}")

    def _caller_frame(self, data: bytes) -> bool:
        """The hot path: a `media` or `mark` frame handled in the frame's own callback.

        `data` is the frame's undecoded text. A media message as Twilio writes it (compact,
        `event` first, ASCII, a base64 payload) or a mark is taken here, its one string found
        in the bytes. False: anything else, which the reader task parses whole (and reports
        when it is wrong), in order."""
        if data.startswith(MEDIA_HEAD):
            found = tw.base64_after(data, PAYLOAD_KEY)
            if found is None or not data.isascii():
                return False
            audio = self._audio  # a callable in a slot, called from a local (no method lookup)
            audio(found)
        elif data.startswith(MARK_HEAD):
            found = tw.string_after(data, NAME_KEY)
            if found is None or not data.isascii():
                return False
            self._input.played(found)
        else:
            return False
        return True

    def _relay_audio(self, sink: Callable[[bytes], None]) -> None:
        """Caller audio goes to `sink` from now on, through the call's recording first when it
        records (the recording's clock runs on the caller's frames: recording.py)."""
        recording = self.parts.state.recording
        self._audio = recording.tap(sink) if isinstance(recording, CallRecording) else sink

    async def _twilio_reader(self) -> None:
        parts = self.parts
        self._ws.hot = self._caller_frame
        try:
            async for frame in self._ws:
                try:
                    message = tw.parse_message(frame)
                except tw.TwilioProtocolError as error:
                    parts.bad_frame("twilio", str(error))
                    continue
                match message:
                    case tw.Media(payload=payload):
                        self._audio(payload)
                    case tw.Mark(name=name):
                        self._input.played(name)
                    case tw.Dtmf(digit=digit):
                        await self._input.dtmf(digit)
                    case tw.Stop():
                        break
        except Exception:
            logger.exception("twilio reader failed")
        finally:
            self._ws.hot = None
            self._caller_left = not self.control.done
            parts.ended.set()

    async def _cleanup(self) -> None:
        parts = self.parts
        state = parts.state
        parts.ended.set()
        state.relaying = False
        current = asyncio.current_task()
        for task in parts.tasks:
            if task is not current:
                task.cancel()
        await self._on_cleanup.aclose()
        hung_up = self._caller_left and not state.ending
        outcome = state.outcome or (
            CallOutcome.CALLER_HUNG_UP if hung_up else CallOutcome.COMPLETED
        )
        parts.recorder.finish(
            outcome=outcome,
            usage=state.usage,
            handoff_reason=state.handoff_reason,
            customer_id=state.context.customer_id,
            realtime_model=state.realtime_model,
            on_purpose=self.control.done,
            latency=state.latency.summary(parts.recorder.tool_latencies_ms),
            recording=state.recording,
        )
        parts.runtime.metrics.outcome(outcome)
        parts.runtime.metrics.latency(state.latency.responses_ms, state.latency.greeting_ms)
        logger.info(
            "call ended",
            extra={"outcome": outcome, "seconds": round(time.monotonic() - state.started_at, 1)},
        )
        await parts.recorder.close()
        if state.context.direction == CallDirection.TEST:
            await _quietly(asyncio.to_thread(self._complete_test_call))
        await _quietly(self._ws.close())

    def _complete_test_call(self) -> None:
        """A test call has no Twilio behind it to send the final status callback: the bridge
        completes its record (status, end, duration) as that callback would."""
        crm, state = self.parts.runtime.crm, self.parts.state
        if crm is not None:
            ended_at = datetime.now(UTC).isoformat()
            seconds = round(time.monotonic() - state.started_at)
            crm.calls.update_status(
                state.context.call_sid,
                CallStatus.COMPLETED,
                {"ended_at": ended_at, "duration_seconds": seconds},
            )
