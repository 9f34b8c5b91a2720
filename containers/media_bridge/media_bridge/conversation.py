"""The agent's side of a live call: Realtime events in, agent audio out, barge-in and tools.

Built once the Realtime session is open. Audio deltas take the hot path (a dict from orjson,
its `delta` string spliced into the Twilio frame); every other event the bridge acts on is
parsed into its typed model first. One odd event is logged and dropped, never the call.
"""

from __future__ import annotations

import re
from typing import Any

from websockets.exceptions import ConnectionClosed

from media_bridge import realtime_side as rt
from media_bridge import twilio_side as tw
from media_bridge.control import CallControl
from media_bridge.fastjson import loads
from media_bridge.instructions import AgentBrief
from media_bridge.observability import logger
from media_bridge.parts import CallParts
from media_bridge.realtime_events import (
    SERVER_EVENTS,
    ErrorEvent,
    FunctionCallArgumentsDone,
    InputTranscriptionCompleted,
    OutputTranscriptDone,
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
from media_bridge.tool_runner import ToolOutcome, ToolRunner
from media_bridge.upstream import Upstream
from pitstop.models import CallOutcome

OUTCOME_BY_TOOL = {
    "book_appointment": CallOutcome.BOOKED,
    "reschedule_appointment": CallOutcome.RESCHEDULED,
    "cancel_appointment": CallOutcome.CANCELLED,
    "confirm_appointment": CallOutcome.CONFIRMED,
}
ESCALATION_HINT = (
    'The caller said "{word}". Acknowledge their concern and offer to connect them with a member '
    "of the team (request_operator_handoff) if they would like that."
)
DEFAULT_HANDOFF_REASON = "caller asked for a person"


def escalation_pattern(words: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for the shop's escalation words (None: no words)."""
    words = [w for w in words if w.strip()]
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE)


class Conversation:
    """One call's Realtime session as the caller experiences it."""

    def __init__(
        self, parts: CallParts, control: CallControl, upstream: Upstream, brief: AgentBrief
    ):
        self._parts = parts
        self._state = parts.state
        self._metrics = parts.runtime.metrics
        self._control = control
        self.upstream = upstream
        self._escalation = escalation_pattern(brief.settings.escalation_words)
        self._session_items: set[str] = set()  # assistant items of the current Realtime session
        self.tools = ToolRunner(
            parts.runtime.tools,
            timeout=parts.runtime.options.tool_timeout,
            context=parts.state.context.for_tools,
            send_output=self._send_tool_output,
            batch_done=self._on_tool_batch_done,
            on_outcome=self._on_tool_outcome,
        )

    # ------------------------------------------------------------------ what call control asks
    @property
    def busy(self) -> bool:
        return self._state.response_active or self.tools.busy

    async def respond(self, instructions: str) -> None:
        await self.upstream.send(rt.response_create(instructions))

    # ------------------------------------------------------------------ the caller
    async def audio(self, payload: str) -> None:
        if self._state.relaying:
            await self.upstream.append(payload)

    async def dtmf(self, digit: str) -> None:
        """A keypad press is the caller's input: interrupt the agent and let the model answer it."""
        state = self._state
        state.touch()
        if not state.relaying or state.ending:
            return
        try:
            await self._interrupt_playout()
            if state.response_active:
                await self.upstream.send(rt.response_cancel())
            await self.upstream.send(
                rt.message("user", f"[The caller pressed {digit} on the keypad]")
            )
            await self.upstream.send(rt.response_create())
        except ConnectionClosed:
            state.relaying = False

    # ------------------------------------------------------------------ the Realtime reader
    async def read(self) -> None:
        """Server events until the call ends; a dropped link is replaced, or the call handed off."""
        parts, state = self._parts, self._state
        while True:
            try:
                await self._pump()
            except ConnectionClosed:
                pass
            except Exception:
                logger.exception("realtime reader failed")
            state.relaying = False
            if parts.ended.is_set() or state.ending:
                return
            self.tools.cancel_all()
            self._session_items = set()
            state.response_active = False
            if not await self.upstream.replace(state.history):
                if not parts.ended.is_set():
                    await self._control.handoff("ai_unavailable", wait_audio=False)
                return

    async def _pump(self) -> None:
        bad_frame = self._parts.bad_frame
        async for text in self.upstream.link.ws:
            if type(text) is not str:
                bad_frame("realtime", "binary frame")
                continue
            try:
                event = loads(text)
                kind = event["type"]
            except (ValueError, TypeError, KeyError):
                bad_frame("realtime", "not an event")
                continue
            if kind == rt.AUDIO_DELTA:
                await self._on_audio(event)
            elif kind in SERVER_EVENTS:
                await self._dispatch(kind, event)

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
        state = self._state
        match event:
            case SpeechStarted():
                state.touch()
                await self._interrupt_playout()
            case SpeechStopped():
                state.touch()
            case ResponseCreated():
                state.response_active = True
            case ResponseDone(response=response):
                await self._on_response_done(response)
            case FunctionCallArgumentsDone(response_id=response_id, call_id=call_id, name=name):
                state.touch()
                self.tools.start(response_id, call_id, name, event.arguments)
            case InputTranscriptionCompleted(transcript=transcript):
                await self._on_caller_transcript(transcript.strip())
            case OutputTranscriptDone(transcript=transcript):
                self._on_agent_transcript(transcript.strip())
            case ErrorEvent(error=error):
                self._on_error(error)

    # ------------------------------------------------------------------ agent audio, barge-in
    async def _on_audio(self, event: dict[str, Any]) -> None:
        item_id = event.get("item_id")
        delta = event.get("delta")
        if type(delta) is not str or type(item_id) is not str or not tw.is_base64(delta):
            self._parts.bad_frame("realtime", "bad audio delta")
            return
        state = self._state
        if item_id in state.suppressed_items:
            return  # late audio of an item the caller interrupted
        self._session_items.add(item_id)
        response_id = event.get("response_id")
        if type(response_id) is str:
            state.audio_responses.add(response_id)
        await self._parts.twilio.play(item_id, delta)

    async def _interrupt_playout(self) -> None:
        """Barge-in: drop Twilio's buffered agent audio now, then truncate what was not heard."""
        state = self._state
        if not state.playout.audible:
            return
        interrupted = state.playout.interrupt()
        await self._parts.twilio.clear()
        self._metrics.count("BargeIns")
        for item_id, played_ms in interrupted:
            state.suppressed_items.add(item_id)
            if item_id in self._session_items:
                await self.upstream.send(rt.truncate(item_id, played_ms))

    # ------------------------------------------------------------------ other server events
    async def _on_response_done(self, response: Response) -> None:
        state, control = self._state, self._control
        state.response_active = False
        state.usage.add(response.usage)
        if response.status == "failed":
            self._metrics.count("RealtimeErrors")
            details = response.status_details
            logger.warning(
                "response failed",
                extra={"details": details.model_dump(exclude_none=True) if details else None},
            )
        if control.goodbye_requested:
            self._parts.spawn(control.hang_up(), "hang-up")
            return
        if response.id:
            await self.tools.response_done(response.id)
        if control.goodbye is not None and not self.tools.busy and not control.goodbye_requested:
            await control.request_goodbye(self, control.goodbye)

    async def _on_caller_transcript(self, text: str) -> None:
        state = self._state
        state.touch()
        if not text:
            return
        state.history.append(("user", text))
        self._parts.recorder.turn("caller", text)
        if self._escalation is None or state.escalation_hinted or state.ending:
            return
        found = self._escalation.search(text)
        if found:
            state.escalation_hinted = True
            hint = ESCALATION_HINT.format(word=found.group(1))
            await self.upstream.send(rt.message("system", hint))

    def _on_agent_transcript(self, text: str) -> None:
        if text:
            self._state.history.append(("assistant", text))
            self._parts.recorder.turn("agent", text)

    def _on_error(self, error: RealtimeError) -> None:
        # Not `message`/`type` as keys: `message` is reserved by the stdlib's LogRecord.
        self._metrics.count("RealtimeErrors")
        logger.warning(
            "realtime error",
            extra={
                "error_code": error.code,
                "error_type": error.type,
                "error_message": error.message[:300],
            },
        )

    # ------------------------------------------------------------------ tools
    def _on_tool_outcome(self, outcome: ToolOutcome) -> None:
        state = self._state
        result = outcome.result
        self._metrics.tool_latency(outcome.latency_ms)
        self._parts.recorder.tool_call(outcome.name, outcome.arguments, result, outcome.latency_ms)
        state.history.append(("system", f"Tool {outcome.name} returned: {str(result)[:400]}"))
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
            await control.handoff(str(reason)[:200])
        elif "end_call" in actions:
            spoken = response_id in self._state.audio_responses
            await control.end_call(self, goodbye_spoken=spoken)
        elif control.goodbye is not None:
            await control.request_goodbye(self, control.goodbye)
        elif self._state.relaying:
            await self.upstream.send(rt.response_create())
