"""One Realtime connection: the protocol state machine between the client and the policy.

Audio in → voice activity detection → `input_audio_buffer.speech_started` / `speech_stopped` /
`committed` → recognition → `conversation.item.input_audio_transcription.completed` → policy
turn → a response (spoken items as `response.output_audio.delta` + transcript, tool calls as
`response.function_call_arguments.done`) → `response.done`.

Why one worker task per session: recognition, policy turns and responses happen strictly in
the order the client caused them (an utterance, a tool output, a `response.create`), while the
receive loop stays free to act at once on what must not wait: `speech_started` interrupting a
response (server-VAD semantics), `response.cancel` and `conversation.item.truncate`.

Every client event is checked with `validate_client_event` (a violation gets an `error` event,
as the API does) and every server event with `validate_server_event` before it is sent. How
strictly the server's other rules are imitated, and which faults are scripted, is `EngineRules`;
the response lifecycle itself is `responses.Responder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from pitstop_local.engine import events as ev
from pitstop_local.engine.context import parse_context
from pitstop_local.engine.grammar import grammar_state
from pitstop_local.engine.languages import language_notice, session_language
from pitstop_local.engine.listening import DEFAULT_TURN_DETECTION, PREFIX_FRAMES, Listener
from pitstop_local.engine.policy import (
    Dtmf,
    Recalled,
    Start,
    ToolResult,
    UserSaid,
    new_state,
    offers_message,
)
from pitstop_local.engine.responses import AudioItem, Responder, ResponseState
from pitstop_local.engine.rules import (
    CLOSE_INVALID_REQUEST,
    EngineRules,
    active_response_error,
    model_refusal,
    session_expired_message,
    unknown_parameter_error,
)
from pitstop_local.engine.voice import Speech
from pitstop_local.realtime_contract import (
    ProtocolViolation,
    UnknownParameter,
    validate_client_event,
    validate_server_event,
)

log = logging.getLogger(__name__)

#: WebSocket close code for a session the server ends at its maximum duration ("going away").
CLOSE_GOING_AWAY = 1001
TRUNCATE_TOLERANCE_MS = 60
CLIENT_EVENT_TYPES = frozenset(
    {
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "output_audio_buffer.clear",
        "conversation.item.create",
        "conversation.item.truncate",
        "conversation.item.delete",
        "conversation.item.retrieve",
        "response.create",
        "response.cancel",
    }
)


def default_session(session_id: str, model: str) -> dict[str, Any]:
    """The session as `session.created` reports it (the API's defaults, μ-law-free)."""
    return {
        "type": "realtime", "object": "realtime.session", "id": session_id, "model": model,
        "output_modalities": ["audio"], "instructions": "", "tools": [], "tool_choice": "auto",
        "max_output_tokens": "inf", "tracing": None, "prompt": None, "include": None,
        "expires_at": int(time.time()) + 3600,
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": 24000}, "transcription": None,
                      "noise_reduction": None, "turn_detection": dict(DEFAULT_TURN_DETECTION)},
            "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin",
                       "speed": 1.0},
        },
    }  # fmt: skip


def _merge(base: dict, update: dict) -> dict:
    """Deep-merge a `session.update` into the session (None clears, dicts merge)."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in ("format",):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


@dataclass
class _Job:
    kind: str  # utterance | event | respond
    payload: Any = None
    extra: dict = field(default_factory=dict)


class Session(Listener, Responder):
    """Serve one client connection until it closes."""

    def __init__(
        self,
        websocket: ServerConnection,
        speech: Speech,
        *,
        pace: float = 0.0,
        chunk_ms: int = 160,
        model: str = "gpt-realtime",
        rules: EngineRules | None = None,
    ) -> None:
        self.ws = websocket
        self.speech = speech
        self.rules = rules or EngineRules()
        self.pace = pace  # 0: send audio as fast as it is made; 1.0: real time
        self.chunk_ms = chunk_ms
        self.session_id = ev.new_id("sess")
        self.conversation_id = ev.new_id("conv")
        self.config = default_session(self.session_id, model)
        self.ctx = parse_context("", [])
        self.policy = new_state(self.ctx)
        self.jobs: asyncio.Queue[_Job] = asyncio.Queue()
        self.pending: list = []
        self.active: ResponseState | None = None  # the response being streamed now
        self.in_flight: list[ResponseState] = []  # asked for and not done: the active ones
        self.responses_made = 0
        self.caller_turns = 0
        self.items: dict[str, AudioItem] = {}
        self.calls: dict[str, str] = {}
        self.last_item_id: str | None = None
        # input audio
        self.audio_ms = 0
        self._partial = bytearray()
        self._prefix: deque[bytes] = deque(maxlen=PREFIX_FRAMES)
        self._utterance: bytearray | None = None
        self._speech_item: str | None = None
        self._speech_start_ms = 0
        self._new_detector()
        self._closed = False

    # --- plumbing ------------------------------------------------------------------------

    async def run(self) -> None:
        model = self.config["model"]
        if model in self.rules.refuse_models:
            await self._refuse(model)
            return
        tasks = [asyncio.create_task(self._work(), name=f"engine-worker-{self.session_id}")]
        if self.rules.expire_after_s:
            tasks.append(asyncio.create_task(self._expire(self.rules.expire_after_s)))
        try:
            await self.send(ev.event("session.created", session=self.config))
            async for message in self.ws:
                await self._receive(message)
        except ConnectionClosed:
            pass  # the client hung up: normal end of a call
        finally:
            self._closed = True
            if self.active:
                self.active.cancelled = True
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # closing anyway
                await asyncio.gather(*tasks)

    async def _refuse(self, model: str) -> None:
        """A model this connection cannot open: the error, then the server closes."""
        error, reason = model_refusal(model)
        log.info("offline engine: session %s refused model %s", self.session_id, model)
        await self.send(error)
        await self.ws.close(CLOSE_INVALID_REQUEST, reason)

    async def _expire(self, seconds: float) -> None:
        """The session's maximum duration: `session_expired`, then the server closes (1001)."""
        await asyncio.sleep(seconds)  # the server's own clock, not synchronisation
        message = session_expired_message(seconds)
        await self.send(ev.error(message, code="session_expired"))
        log.info("offline engine: session %s expired after %g s", self.session_id, seconds)
        await self.ws.close(CLOSE_GOING_AWAY, message)

    async def send(self, event: dict[str, Any]) -> None:
        validate_server_event(event)  # a malformed event is an engine bug: fail loudly
        if event["type"] == "error":  # what the client did wrong, visible in the engine's log
            log.warning("offline engine: session %s: error %s", self.session_id, event["error"])
        if self._closed:
            return
        try:
            await self.ws.send(json.dumps(event, separators=(",", ":")))  # compact, as OpenAI
        except Exception:  # noqa: BLE001 - the client went away; the receive loop ends
            self._closed = True

    async def _error(
        self, message: str, code: str, event_id: str | None = None, param: str | None = None
    ) -> None:
        await self.send(ev.error(message, code=code, event_id=event_id, param=param))

    async def _receive(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self._error("Binary frames are not supported; send JSON text.", "invalid_message")
            return
        try:
            data = json.loads(message)
        except json.JSONDecodeError as exc:
            await self._error(f"Invalid JSON: {exc}", "invalid_json")
            return
        if not isinstance(data, dict):
            await self._error("An event must be a JSON object.", "invalid_event")
            return
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        try:
            validate_client_event(data, strict=self.rules.strict)
        except UnknownParameter as exc:
            await self.send(unknown_parameter_error(exc.param, event_id))
            return
        except ProtocolViolation as exc:
            await self._reject(data, exc, event_id)
            return
        handler = getattr(self, "_on_" + data["type"].replace(".", "_"), None)
        if handler is None:
            await self._error(
                f"{data['type']} is not supported by the offline engine.",
                "unsupported_event",
                event_id,
            )
            return
        try:
            await handler(data)
        except Exception as exc:
            log.exception("engine failed handling %s", data.get("type"))
            await self.send(
                ev.error(
                    f"Internal error: {exc}",
                    type_="server_error",
                    code="server_error",
                    event_id=event_id,
                )
            )

    async def _reject(self, data: dict, exc: Exception, event_id: str | None) -> None:
        """Answer an invalid client event the way the API does: one short `error` event."""
        kind = data.get("type")
        if kind not in CLIENT_EVENT_TYPES:
            await self._error(
                f"Invalid value: {kind!r}. Supported values are: "
                + ", ".join(repr(t) for t in sorted(CLIENT_EVENT_TYPES))
                + ".",
                "invalid_value",
                event_id,
                "type",
            )
            return
        lines = str(exc).splitlines()
        wanted = "".join(part.capitalize() for part in str(kind).replace(".", "_").split("_"))
        details = [
            f"{line.split('.', 1)[-1].strip()}: {nxt.strip().split(' [')[0]}"
            for line, nxt in itertools.pairwise(lines)
            if line.startswith(wanted)
        ]
        message = f"Invalid {kind} event: " + ("; ".join(details) or lines[0])
        await self._error(message[:600], "invalid_event", event_id, str(kind))

    # --- client events -------------------------------------------------------------------

    async def _on_session_update(self, data: dict) -> None:
        update = dict(data["session"])
        update.pop("type", None)
        _merge(self.config, update)
        for side in ("input", "output"):
            fmt = self.config["audio"][side].get("format") or {}
            if fmt.get("type") not in ("audio/pcmu", "audio/pcm", "audio/pcma"):
                self.config["audio"][side]["format"] = {"type": "audio/pcm", "rate": 24000}
        self.ctx = parse_context(
            self.config.get("instructions") or "", self.config.get("tools") or []
        )
        notice = language_notice(session_language(self.config))
        if notice:
            log.warning("offline engine: session %s: %s", self.session_id, notice)
        if self.policy.greeted:
            self.policy.ctx = self.ctx
        else:
            self.policy = new_state(self.ctx)
        self.speech.prepare_all(self.ctx)  # compile this shop's grammars in the background
        self._new_detector()
        await self.send(ev.event("session.updated", session=self.config))

    async def _on_output_audio_buffer_clear(self, data: dict) -> None:
        await self._error(
            "output_audio_buffer.clear is only for WebRTC/SIP sessions.",
            "unsupported_event",
            data.get("event_id"),
        )

    async def _on_conversation_item_create(self, data: dict) -> None:
        item = dict(data["item"])
        item.setdefault("id", ev.new_id("item"))
        item.setdefault("object", "realtime.item")
        item.setdefault("status", "completed")
        previous = data.get("previous_item_id") or self.last_item_id
        await self.send(ev.event("conversation.item.added", item=item, previous_item_id=previous))
        await self.send(ev.event("conversation.item.done", item=item, previous_item_id=previous))
        self.last_item_id = item["id"]
        if item["type"] == "function_call_output":
            name = self.calls.get(item["call_id"], "")
            try:
                output = json.loads(item["output"])
            except (TypeError, json.JSONDecodeError):
                output = {"ok": True, "text": item["output"]}
            await self.jobs.put(_Job("event", ToolResult(name, output)))
        elif item["type"] == "message" and item.get("role") == "user":
            text = " ".join(
                str(c.get("text") or c.get("transcript") or "") for c in item.get("content", [])
            )
            await self.jobs.put(_Job("event", _text_event(text)))

    async def _on_conversation_item_truncate(self, data: dict) -> None:
        item = self.items.get(data["item_id"])
        if item is None:
            await self._error(
                f"Item {data['item_id']} not found or not an assistant audio item.",
                "item_not_found",
                data.get("event_id"),
                "item_id",
            )
            return
        end_ms = int(data["audio_end_ms"])
        if end_ms < 0 or end_ms > item.duration_ms + TRUNCATE_TOLERANCE_MS:
            await self._error(
                f"audio_end_ms {end_ms} is beyond the item's {item.duration_ms} ms of audio.",
                "invalid_value",
                data.get("event_id"),
                "audio_end_ms",
            )
            return
        item.truncated = True
        await self.send(
            ev.event(
                "conversation.item.truncated",
                item_id=data["item_id"],
                content_index=data["content_index"],
                audio_end_ms=min(end_ms, item.duration_ms),
            )
        )

    async def _on_conversation_item_delete(self, data: dict) -> None:
        await self.send(ev.event("conversation.item.deleted", item_id=data["item_id"]))

    async def _on_conversation_item_retrieve(self, data: dict) -> None:
        await self._error(
            f"Item {data['item_id']} cannot be retrieved from the offline engine.",
            "item_not_found",
            data.get("event_id"),
            "item_id",
        )

    async def utterance_committed(self, audio: bytes, item_id: str, auto: bool) -> None:
        response = self.reserve_response() if auto else None  # active from the commit on
        await self.jobs.put(_Job("utterance", audio, {"item_id": item_id, "response": response}))

    async def _on_response_create(self, data: dict) -> None:
        if self.rules.strict and self.in_flight:  # one active response at a time
            await self.send(
                active_response_error(self.in_flight[0].response_id, data.get("event_id"))
            )
            return
        instructions = str((data.get("response") or {}).get("instructions") or "")
        await self.jobs.put(
            _Job("respond", self.reserve_response(), {"instructions": instructions})
        )

    async def _on_response_cancel(self, data: dict) -> None:
        target = self.active or (self.in_flight[0] if self.in_flight else None)
        if target is None:
            await self._error(
                "Cancellation failed: no active response found.",
                "response_cancel_not_active",
                data.get("event_id"),
            )
            return
        _cancel(target, "client_cancelled")

    def _cancel_active(self, reason: str) -> None:
        if self.active:
            _cancel(self.active, reason)

    # --- the worker: recognition, policy, responses --------------------------------------

    async def _work(self) -> None:
        while True:
            job = await self.jobs.get()
            try:
                await self._do(job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("engine worker failed on %s", job.kind)
                await self.send(
                    ev.error(f"Internal error: {exc}", type_="server_error", code="server_error")
                )

    async def _do(self, job: _Job) -> None:
        if job.kind == "utterance":
            await self._utterance_turn(job.payload, job.extra["item_id"], job.extra["response"])
        elif job.kind == "event":
            self.pending.append(job.payload)
        elif job.kind == "respond":
            self._instructed(job.extra["instructions"])
            await self.respond(job.payload, auto=False)

    def _instructed(self, instructions: str) -> None:
        """A response whose own instructions say to offer a message answers those: what the
        caller said before it (a resumed stream's replayed turns) is context, not a turn."""
        if not offers_message(instructions):
            return
        self.pending = [Recalled(e.text) if isinstance(e, UserSaid) else e for e in self.pending]
        self.pending.append(Start(instructions))

    async def _utterance_turn(
        self, audio: bytes, item_id: str, response: ResponseState | None
    ) -> None:
        """Recognise a committed utterance and answer it. Every `late_every`th turn the
        transcript is sent after the reply, as the real server's separate transcription may."""
        state = grammar_state(self.policy.awaiting)
        text = await self.speech.transcribe(self.ctx, state, audio)
        log.info("engine %s heard %r (listening for %s)", self.session_id, text, state)
        self.caller_turns += 1
        every = self.rules.late_every
        late = response is not None and every > 0 and self.caller_turns % every == 0
        transcription = ev.event(
            "conversation.item.input_audio_transcription.completed",
            item_id=item_id,
            content_index=0,
            transcript=text,
            usage={"type": "duration", "seconds": round(len(audio) / 8000, 3)},
        )
        if not late:
            await self.send(transcription)
        # Speech heard but not understood still gets an answer ("Sorry, I didn't catch that").
        self.pending.append(UserSaid(text))
        if response is not None:
            await self.respond(response, auto=True)
        if late:
            await self.send(transcription)


def _cancel(response: ResponseState, reason: str) -> None:
    """Mark `response` cancelled; it stays active until its `response.done` is sent."""
    if not response.cancelled:
        response.cancelled, response.reason = True, reason


def _text_event(text: str) -> Dtmf | UserSaid:
    """A user text item: DTMF notes from the bridge ("DTMF 0", "The caller pressed 0") become
    `Dtmf`, anything else is treated as something the caller said."""
    m = re.search(r"(?:dtmf|pressed|entered|keypad|digit)\D{0,20}([0-9*#])", text, re.IGNORECASE)
    return Dtmf(m.group(1)) if m else UserSaid(text)
