"""The agent's side of a live call: Realtime events in, agent audio out, barge-in and tools.

Built once the Realtime session is open. Audio deltas take the hot path (their item and
`delta` found in the frame's bytes, the delta spliced into the Twilio frame); every other event
the bridge acts on is parsed into its typed model first. One odd event is logged and dropped,
never the call.
"""

from __future__ import annotations

import re
import time
from typing import Any

from media_bridge import realtime_side as rt
from media_bridge import twilio_side as tw
from media_bridge.budget import TokenBudget
from media_bridge.control import CallControl
from media_bridge.fastjson import loads
from media_bridge.guardrail import REPHRASE, Guardrail
from media_bridge.instructions import AgentBrief
from media_bridge.keypad import Keypad, entry_text
from media_bridge.observability import logger
from media_bridge.parts import CallParts
from media_bridge.realtime_events import (
    SERVER_EVENTS,
    BufferCommitted,
    ErrorEvent,
    FunctionCallArgumentsDone,
    InputTranscriptionCompleted,
    OutputItemDone,
    OutputTranscriptDelta,
    OutputTranscriptDone,
    RateLimitsUpdated,
    RealtimeError,
    Response,
    ResponseCreated,
    ResponseDone,
    ServerEvent,
    SpeechStarted,
    SpeechStopped,
    ValidationError,
    parse_server_event,
)
from media_bridge.realtime_side import AUDIO_DELTA_HEAD
from media_bridge.response_gate import ResponseGate
from media_bridge.tool_runner import ToolOutcome, ToolRunner
from media_bridge.transcript import Transcript
from media_bridge.upstream import Upstream
from media_bridge.ws import ConnectionClosed
from pitstop import i18n
from pitstop.models import CallOutcome

OUTCOME_BY_TOOL = {
    "book_appointment": CallOutcome.BOOKED,
    "reschedule_appointment": CallOutcome.RESCHEDULED,
    "cancel_appointment": CallOutcome.CANCELLED,
    "confirm_appointment": CallOutcome.CONFIRMED,
    "take_message": CallOutcome.MESSAGE_TAKEN,
}
# The escalation hint and the apology are `agent.escalation_hint` / `agent.apology` of the packs.
DEFAULT_HANDOFF_REASON = "caller asked for a person"
_ITEM_ID = b'"item_id":"'
_DELTA, _RESPONSE_ID = b'"delta":"', b'"response_id":"'
_NO_ITEM = b"\x00"  # matches no delta's bytes (`_agent_frame` takes ASCII text only)


class LinkDead(Exception):
    """The link is open but useless (nothing but garbage): treated as a drop."""


def escalation_pattern(words: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for the shop's escalation words (None: no words)."""
    words = [w for w in words if w.strip()]
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


class Conversation:
    """One call's Realtime session as the caller experiences it."""

    __slots__ = (
        "_calls",
        "_control",
        "_dropped",
        "_escalation",
        "_failures",
        "_garbage_since",
        "_guardrail",
        "_heard",
        "_instructions",
        "_item_id",
        "_item_key",
        "_metrics",
        "_parts",
        "_playout",
        "_session_items",
        "_settings",
        "_source",
        "_state",
        "_twilio",
        "budget",
        "gate",
        "keypad",
        "tools",
        "transcript",
        "upstream",
    )

    def __init__(
        self, parts: CallParts, control: CallControl, upstream: Upstream, brief: AgentBrief
    ):
        self._parts = parts
        self._state = parts.state
        self._metrics = parts.runtime.metrics
        self._control = control
        self.upstream = upstream
        self._settings = brief.settings
        self._guardrail = Guardrail(brief.settings.prohibited_phrases)
        self._escalation = escalation_pattern(brief.settings.escalation_words)
        self._instructions = brief.instructions
        self._session_items: set[str] = set()  # assistant items of the current Realtime session
        # μ-law bytes of interrupted items' late audio, dropped (the rest is the playout's)
        self._dropped: dict[str, int] = {}
        # The item now playing, as its `"item_id":"…"` in a delta's bytes, and decoded: deltas
        # come in runs of one item; the hot path only checks that a delta is of that item.
        self._item_key = _NO_ITEM
        self._item_id = ""
        self._source = upstream.link.ws  # the socket the audio comes from (`_pump` sets it)
        self._twilio = parts.twilio  # agent audio to the caller (the hot path's `play`)
        self._playout = parts.state.playout  # what the caller has heard (Twilio's marks)
        self._heard: dict[str, int] = {}  # ms heard of each interrupted assistant item
        self._calls: dict[str, tuple[str, str, str]] = {}  # call_id → (response, name, arguments)
        self._failures = 0  # failed/incomplete responses in a row
        self._garbage_since: float | None = None
        self.transcript = Transcript(parts.recorder, self._still_playing)
        self.gate = ResponseGate(
            upstream.send,
            start_timeout=parts.runtime.options.response_start_timeout,
            on_stall=upstream.kill,
        )
        self.keypad = Keypad(
            pause=parts.runtime.options.keypad_pause,
            zero_for_person=brief.settings.zero_for_person,
            on_entry=self._keypad_entry,
            on_person=self._keypad_person,
        )
        self.tools = ToolRunner(
            parts.runtime.tools,
            timeout=parts.runtime.options.tool_timeout,
            context=parts.state.context.for_tools,
            send_output=self._send_tool_output,
            batch_done=self._on_tool_batch_done,
            on_outcome=self._on_tool_outcome,
        )
        self.budget = TokenBudget(
            brief.settings.max_tokens_per_call,
            respond=self.respond,
            hand_off=lambda reason: control.handoff(reason, agent=self),
            metrics=self._metrics,
        )

    # ------------------------------------------------------------------ what call control asks
    @property
    def busy(self) -> bool:
        return self.gate.busy or self.tools.busy

    async def respond(self, instructions: str) -> None:
        """One response with `instructions` added to the session's (persona, language, shop)."""
        await self.gate.request(f"{self._instructions}\n\n{instructions}")

    # ------------------------------------------------------------------ the caller
    def played(self, mark: bytes) -> None:
        """Twilio played up to `mark`: agent turns whose audio has all played are final."""
        self._playout.acked(mark)
        transcript = self.transcript
        if transcript.playing:  # the usual case, once per mark: no turn waits for its audio
            transcript.played()

    def _still_playing(self, item_id: str) -> bool:
        playout = self._state.playout
        return playout.sent_ms(item_id) > playout.played_ms(item_id)

    async def dtmf(self, digit: str) -> None:
        """A keypad press: the first of an entry interrupts the agent; the entry as a whole
        (see keypad.py) is the caller's input."""
        state = self._state
        state.touch()
        if not state.relaying or state.ending:
            return
        try:
            if not self.keypad.collecting:
                await self._interrupt_playout()
                if self.gate.active:
                    await self.upstream.send(rt.response_cancel())
            await self.keypad.press(digit)
        except ConnectionClosed:
            state.relaying = False

    async def _keypad_entry(self, digits: str) -> None:
        try:
            await self.upstream.send(rt.message("user", entry_text(digits)))
            await self.gate.request()
        except ConnectionClosed:
            self._state.relaying = False

    async def _keypad_person(self) -> None:
        self._metrics.count("KeypadHandoffs")
        await self._control.handoff("caller pressed 0", agent=self)

    # ------------------------------------------------------------------ the Realtime reader
    async def read(self) -> None:
        """Server events until the call ends; a dropped link is replaced, or the call handed off."""
        parts, state = self._parts, self._state
        while True:
            try:
                await self._pump()
            except (ConnectionClosed, LinkDead):
                pass
            except Exception:
                logger.exception("realtime reader failed")
            state.relaying = False
            if parts.ended.is_set() or state.ending:
                return
            self.tools.cancel_all()
            self._session_items = set()
            self._forget_item()
            self._calls.clear()
            self._garbage_since = None
            self.gate.reset()
            if not await self.upstream.replace(self.transcript.history()):
                if not parts.ended.is_set():
                    await self._control.handoff("ai_unavailable", wait_audio=False)
                return
            await self.gate.request()

    def _agent_frame(self, data: bytes) -> bool:
        """The hot path: an audio delta goes to Twilio in the Realtime frame's own callback.

        `data` is the frame's undecoded text. A delta as the server writes it (compact, `type`
        first, ASCII, an item id without escapes) is taken here, its strings found in the bytes.
        False: anything else, which the reader task (`_pump`) parses whole, in order."""
        if not data.startswith(AUDIO_DELTA_HEAD) or not data.isascii():
            return False
        found = tw.base64_after(data, _DELTA)
        if found is None:
            return False  # no delta, or not base64: the slow way, which reports it
        self._garbage_since = None
        if self._item_key in data:  # more of the item playing now: nothing about it to settle
            self._twilio.play(self._item_id, found, self._source)
            return True
        item = tw.string_after(data, _ITEM_ID)
        if item is None:
            return False
        self._on_audio(item, found, tw.string_after(data, _RESPONSE_ID))
        return True

    async def _pump(self) -> None:
        """Events of the current link; unknown and future event types pass without a word."""
        ws = self._source = self.upstream.link.ws  # agent audio comes from (back-pressure)
        ws.hot = self._agent_frame
        async for text in ws:
            try:
                event = loads(text) if type(text) is str else None
                kind = event["type"] if type(event) is dict else None
            except (ValueError, TypeError, KeyError):
                kind = None
            if type(kind) is not str or type(event) is not dict:
                self._garbage("not an event")
                continue
            self._garbage_since = None
            if kind == rt.AUDIO_DELTA:
                self._on_audio_event(event)
            elif kind in SERVER_EVENTS:
                await self._dispatch(kind, event)

    def _garbage(self, reason: str) -> None:
        """A bad frame; nothing but bad frames for `garbage_timeout` seconds is a dead link."""
        self._parts.bad_frame("realtime", reason)
        now = time.monotonic()
        if self._garbage_since is None:
            self._garbage_since = now
        elif now - self._garbage_since >= self._parts.runtime.options.garbage_timeout:
            raise LinkDead(reason)

    async def _dispatch(self, kind: str, event: dict[str, Any]) -> None:
        try:
            typed = parse_server_event(kind, event)
        except ValidationError:
            self._parts.bad_frame("realtime", f"bad {kind}")
            return
        try:
            await self._handle(typed)
        except ConnectionClosed:
            raise
        except Exception:
            logger.exception("failed to handle a realtime event", extra={"type": kind})

    async def _handle(self, event: ServerEvent) -> None:
        match event:
            case SpeechStarted() | BufferCommitted() | SpeechStopped():
                await self._on_caller_speech(event)
            case ResponseCreated():
                await self.gate.created()
            case ResponseDone(response=response):
                await self._on_response_done(response)
            case FunctionCallArgumentsDone(response_id=response_id, call_id=call_id, name=name):
                self._state.touch()  # run once its item completes: a cancelled call must not run
                self._calls[call_id] = (response_id, name, event.arguments)
            case OutputItemDone(item=item) if item.type == "function_call":
                if item.status == "completed" and item.call_id:
                    self._run_tool(item.call_id)
            case InputTranscriptionCompleted(item_id=item_id, transcript=transcript):
                self._state.usage.transcribed(event.usage)
                await self._on_caller_transcript(item_id, transcript.strip())
            case OutputTranscriptDelta() | OutputTranscriptDone():
                await self._on_agent_words(event)
            case ErrorEvent(error=error):
                await self._on_error(error)
            case RateLimitsUpdated():
                self._on_rate_limits(event)

    async def _on_caller_speech(
        self, event: SpeechStarted | BufferCommitted | SpeechStopped
    ) -> None:
        """The caller speaks: barge-in, and their turn takes its place in the transcript."""
        if isinstance(event, SpeechStarted):
            self._state.latency.speech_started()
            await self._interrupt_playout()
        elif isinstance(event, SpeechStopped):
            self._state.latency.speech_stopped()  # the caller waits from here (latency.py)
            self._forget_item()  # the next delta, looked at in full, ends the wait
        if not isinstance(event, SpeechStopped) and event.item_id:
            self.transcript.caller_spoke(event.item_id)
        self._state.touch()

    # ------------------------------------------------------------------ agent audio, barge-in
    def _on_audio_event(self, event: dict[str, Any]) -> None:
        """An audio delta the hot path left to the reader, parsed whole."""
        item_id, delta, response_id = (event.get(k) for k in ("item_id", "delta", "response_id"))
        if (
            type(delta) is not str
            or type(item_id) is not str
            or not tw.is_base64(audio := delta.encode())
        ):
            self._parts.bad_frame("realtime", "bad audio delta")
            return
        response = response_id.encode() if type(response_id) is str else None
        self._on_audio(item_id.encode(), audio, response)

    def _on_audio(self, item: bytes, delta: bytes, response: bytes | None) -> None:
        """Audio of an assistant item other than the last delta's (or of any item, from the
        reader), checked base64: played unless the caller cut the item off. An item that plays
        becomes the hot path's (`_item_key`) until another one comes or `_forget_item`."""
        item_id = item.decode()
        self._forget_item()
        if response:
            self._state.audio_responses.add(response.decode())
        if item_id in self._state.suppressed_items:  # late audio of an interrupted item: dropped
            self._dropped[item_id] = self._dropped.get(item_id, 0) + tw.ulaw_bytes(delta)
            return
        if item_id not in self._session_items:
            self._session_items.add(item_id)
            self.transcript.agent_started(item_id)
        self._item_key, self._item_id = _ITEM_ID + item + b'"', item_id
        self._state.latency.agent_audio()  # the first audio since the caller stopped (latency.py)
        self._twilio.play(item_id, delta, self._source)

    def _forget_item(self) -> None:
        """Items were cut off, the session changed or the caller has stopped speaking: the next
        delta is looked at in full (`_on_audio`)."""
        self._item_key = _NO_ITEM

    async def _interrupt_playout(self) -> None:
        """Barge-in: drop Twilio's buffered agent audio now, then truncate what was not heard."""
        state = self._state
        if not state.playout.audible:
            return
        interrupted = state.playout.interrupt()
        await self._parts.twilio.clear()
        self._metrics.count("BargeIns")
        self._forget_item()
        for item_id, played_ms in interrupted:
            state.suppressed_items.add(item_id)
            self._heard[item_id] = played_ms
            self._cut(item_id)
            if item_id in self._session_items:
                await self.upstream.send(rt.truncate(item_id, played_ms))

    async def _stop_saying(self, item_id: str, phrase: str) -> None:
        """A prohibited phrase is on its way: the caller must not hear it. Drop the audio
        Twilio has buffered, truncate the item to what was heard, cancel the response, and ask
        (through the gate, so once it is done) for the same thing without the phrase."""
        state = self._state
        self._metrics.prohibited_phrase(phrase)
        logger.warning("prohibited phrase stopped", extra={"phrase": phrase})
        heard = dict(state.playout.interrupt()).get(item_id, state.playout.played_ms(item_id))
        await self._parts.twilio.clear()
        self._forget_item()
        state.suppressed_items.add(item_id)
        self._heard[item_id] = heard
        if item_id in self._session_items:
            await self.upstream.send(rt.truncate(item_id, heard))
        if self.gate.active:
            await self.upstream.send(rt.response_cancel())
        await self.respond(REPHRASE.format(phrase=phrase))

    def _cut(self, item_id: str) -> None:
        """Record the heard fraction of an interrupted item (of all the audio generated)."""
        generated = self._state.playout.sent_ms(item_id) + self._dropped.get(item_id, 0) // 8
        if generated:
            self.transcript.interrupted(item_id, self._heard[item_id] / generated)

    # ------------------------------------------------------------------ other server events
    async def _on_response_done(self, response: Response) -> None:
        control = self._control
        self._state.usage.add(response.usage)
        # Past the call's token ceiling: wrap up (budget.py).
        await self.budget.spent(self._state.usage, ending=self._state.ending)
        completed = response.status == "completed"
        for call_id, (response_id, _, _) in list(self._calls.items()):
            if response_id == response.id:  # the response's own status settles its calls
                if completed:
                    self._run_tool(call_id)
                self._calls.pop(call_id, None)
        if response.status in ("failed", "incomplete"):
            await self._on_failed(response)
            return
        if completed:
            self._failures = 0
        await self.gate.done()
        if control.goodbye_requested:
            self._parts.spawn(control.hang_up(), "hang-up")
            return
        if response.id:
            await self.tools.response_done(response.id)
        if control.goodbye is not None and not self.tools.busy and not control.goodbye_requested:
            await control.request_goodbye(self, control.goodbye)

    async def _on_failed(self, response: Response) -> None:
        """Ask again (bounded); then an apology that offers a person; then a person."""
        self._failures += 1
        self._metrics.count("FailedResponses")
        details = response.status_details
        logger.warning(
            "response did not complete",
            extra={
                "status": response.status,
                "failures": self._failures,
                "details": details.model_dump(exclude_none=True) if details else None,
            },
        )
        await self.gate.done()
        retries = self._parts.runtime.options.response_retries
        if self._failures <= retries:
            failed = self.gate.last_done  # asked again as it was asked
            await self.gate.request(failed.instructions if failed else None)
        elif self._failures == retries + 1 and self.upstream.can_fail_over:
            self._failures = 0  # the next model starts afresh; the reader reconnects to it
            self.upstream.fail_over("responses keep failing")
        elif self._failures == self._parts.runtime.options.response_retries + 1:
            await self.respond(i18n.text(self._settings.language, "agent.apology"))
        else:
            await self._control.handoff("ai_failing", wait_audio=False)

    def _on_rate_limits(self, event: RateLimitsUpdated) -> None:
        """Nothing left of a limit: log, count, and hold the next response until its reset."""
        for limit in event.rate_limits:
            if limit.remaining == 0:
                self._metrics.count("RateLimited")
                logger.warning(
                    "realtime rate limit reached",
                    extra={"limit": limit.name, "reset_seconds": limit.reset_seconds},
                )
                self.gate.hold(limit.reset_seconds or 1.0)

    async def _on_caller_transcript(self, item_id: str | None, text: str) -> None:
        state = self._state
        state.touch()
        if not text:
            return
        self.transcript.caller(item_id, text)
        if self._escalation is None or state.escalation_hinted or state.ending:
            return
        found = self._escalation.search(text)
        if found is None:
            return
        word = found.group(1)
        state.escalation_hinted = True
        self._metrics.count("EscalationWords")
        if self._settings.escalation_action(word) == "handoff":  # the shop: a person at once
            await self._control.handoff(f"caller said {word.lower()!r}", agent=self)
        else:
            hint = i18n.text(self._settings.language, "agent.escalation_hint", word=word)
            await self.upstream.send(rt.message("system", hint))

    async def _on_agent_words(self, event: OutputTranscriptDelta | OutputTranscriptDone) -> None:
        """The agent's words: as they stream, checked by the guardrail; once done, recorded."""
        if isinstance(event, OutputTranscriptDone):
            self._on_agent_transcript(event.item_id, event.transcript.strip())
            return
        phrase = self._guardrail.heard(event.item_id, event.delta)
        if phrase is not None:
            await self._stop_saying(event.item_id, phrase)

    def _on_agent_transcript(self, item_id: str | None, text: str) -> None:
        if not text:
            return
        if item_id in self._heard:
            self._cut(item_id)  # of all the audio generated by now
        playing = item_id is not None and self._still_playing(item_id)
        self.transcript.agent(item_id, text, playing=playing)

    async def _on_error(self, error: RealtimeError) -> None:
        # Not `message`/`type` as keys: `message` is reserved by the stdlib's LogRecord.
        self._metrics.realtime_error(error.code)
        logger.warning(
            "realtime error",
            extra={
                "error_code": error.code,
                "error_type": error.type,
                "error_message": error.message[:300],
                "error_param": error.param,
                "client_event_id": error.event_id,
            },
        )
        await self.gate.rejected(error.event_id, error.code)

    # ------------------------------------------------------------------ tools
    def _on_tool_outcome(self, outcome: ToolOutcome) -> None:
        state = self._state
        result = outcome.result
        self._metrics.tool_latency(outcome.latency_ms)
        self._parts.recorder.tool_call(outcome.name, outcome.arguments, result, outcome.latency_ms)
        self.transcript.note(f"Tool {outcome.name} returned: {str(result)[:400]}")
        state.touch()
        if not result.get("ok"):
            return
        if outcome.name == "register_customer" and result.get("customer_id"):
            state.context.customer_id = result["customer_id"]
        won = OUTCOME_BY_TOOL.get(outcome.name)
        if won is not None and state.outcome is not CallOutcome.HANDED_OFF:
            state.outcome = won

    async def _send_tool_output(self, outcome: ToolOutcome) -> None:
        if self._state.relaying:
            await self.upstream.send(rt.function_output(outcome.call_id, outcome.result))

    async def _on_tool_batch_done(self, response_id: str, outcomes: list[ToolOutcome]) -> None:
        """All tool calls of a response answered: act on handoff / end_call, else respond once."""
        actions = {o.result.get("action"): o for o in outcomes if o.result.get("ok")}
        control = self._control
        if "handoff" in actions:
            reason = actions["handoff"].arguments.get("reason") or DEFAULT_HANDOFF_REASON
            await control.handoff(str(reason)[:200], agent=self)
        elif "end_call" in actions:
            spoken = response_id in self._state.audio_responses
            await control.end_call(self, goodbye_spoken=spoken)
        elif control.goodbye is not None:
            await control.request_goodbye(self, control.goodbye)
        elif self._state.relaying:
            await self.gate.request()

    def _run_tool(self, call_id: str) -> None:
        """Run a tool call whose item completed (once: the call is forgotten here)."""
        found = self._calls.pop(call_id, None)
        if found is not None:
            response_id, name, arguments = found
            self.tools.start(response_id, call_id, name, arguments)
