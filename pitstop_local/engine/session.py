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
as the API does) and every server event with `validate_server_event` before it is sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed

from pitstop_local.engine import events as ev
from pitstop_local.engine.context import parse_context
from pitstop_local.engine.grammar import grammar_state
from pitstop_local.engine.policy import (
    CallTool,
    Dtmf,
    Interrupted,
    Say,
    Start,
    ToolResult,
    UserSaid,
    decide,
    new_state,
)
from pitstop_local.engine.voice import Speech, detector, from_mulaw, to_mulaw
from pitstop_local.realtime_contract import (
    ProtocolViolation,
    validate_client_event,
    validate_server_event,
)
from pitstop_local.speech.vad import SpeechStarted, SpeechStopped

log = logging.getLogger(__name__)

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
FRAME_MS = 20
DEFAULT_TURN_DETECTION = {
    "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500,
    "idle_timeout_ms": None, "create_response": True, "interrupt_response": True,
}  # fmt: skip
TRUNCATE_TOLERANCE_MS = 60
#: Input frames kept before an utterance: the longest usable `prefix_padding_ms` (~600 ms)
#: plus the detector's start delay.
PREFIX_FRAMES = 32
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
class _Response:
    response_id: str
    cancelled: bool = False
    reason: str | None = None
    current_item: str | None = None


@dataclass
class _AudioItem:
    duration_ms: int = 0
    truncated: bool = False
    transcript: str = ""


@dataclass
class _Job:
    kind: str  # utterance | event | respond
    payload: Any = None
    extra: dict = field(default_factory=dict)


class Session:
    """Serve one client connection until it closes."""

    def __init__(
        self,
        websocket,
        speech: Speech,
        *,
        pace: float = 0.0,
        chunk_ms: int = 160,
        model: str = "gpt-realtime",
    ) -> None:
        self.ws = websocket
        self.speech = speech
        self.pace = pace  # 0: send audio as fast as it is made; 1.0: real time
        self.chunk_ms = chunk_ms
        self.session_id = ev.new_id("sess")
        self.conversation_id = ev.new_id("conv")
        self.config = default_session(self.session_id, model)
        self.ctx = parse_context("", [])
        self.policy = new_state(self.ctx)
        self.jobs: asyncio.Queue[_Job] = asyncio.Queue()
        self.pending: list = []
        self.active: _Response | None = None
        self.items: dict[str, _AudioItem] = {}
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
        worker = asyncio.create_task(self._work(), name=f"engine-worker-{self.session_id}")
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
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):  # closing anyway
                await worker

    async def send(self, event: dict[str, Any]) -> None:
        validate_server_event(event)  # a malformed event is an engine bug: fail loudly
        if self._closed:
            return
        try:
            await self.ws.send(json.dumps(event))
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
            validate_client_event(data)
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

    def _turn_detection(self) -> dict:
        td = self.config["audio"]["input"].get("turn_detection")
        return {**DEFAULT_TURN_DETECTION, **td} if isinstance(td, dict) else {}

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
        if self.policy.greeted:
            self.policy.ctx = self.ctx
        else:
            self.policy = new_state(self.ctx)
        self.speech.prepare_all(self.ctx)  # compile this shop's grammars in the background
        self._new_detector()
        await self.send(ev.event("session.updated", session=self.config))

    async def _on_input_audio_buffer_append(self, data: dict) -> None:
        try:
            raw = base64.b64decode(data["audio"], validate=True)
        except (binascii.Error, ValueError):
            await self._error(
                "audio is not valid base64.", "invalid_value", data.get("event_id"), "audio"
            )
            return
        mulaw = to_mulaw(raw, self.config["audio"]["input"]["format"])
        self._partial += mulaw
        while len(self._partial) >= FRAME_BYTES:
            frame = bytes(self._partial[:FRAME_BYTES])
            del self._partial[:FRAME_BYTES]
            await self._on_frame(frame)

    def _new_detector(self) -> None:
        """A fresh detector for the (re)configured stream. Its times count from its creation,
        so `_detector_origin_ms` maps them back to the session's input audio timeline."""
        self.detector = detector(self._turn_detection())
        self._detector_origin_ms = self.audio_ms

    async def _on_frame(self, frame: bytes) -> None:
        self.audio_ms += FRAME_MS
        if self._utterance is not None:
            self._utterance += frame
        else:
            self._prefix.append(frame)
        if not self._turn_detection():
            return  # turn detection off: the client commits
        for event in self.detector.feed(frame):
            at_ms = self._detector_origin_ms + event.at_ms
            if isinstance(event, SpeechStarted) and self._utterance is None:
                await self._speech_started(at_ms)
            elif isinstance(event, SpeechStopped) and self._utterance is not None:
                await self._speech_stopped(at_ms)

    async def _speech_started(self, at_ms: int) -> None:
        padding = self._turn_detection().get("prefix_padding_ms") or 0
        self._speech_start_ms = max(0, at_ms - padding)
        # The detector announces speech a few frames after it began: keep those and the padding.
        frames = list(self._prefix)[-max(1, (self.audio_ms - self._speech_start_ms) // FRAME_MS) :]
        self._prefix.clear()
        self._utterance = bytearray(b"".join(frames))
        self._speech_item = ev.new_id("item")
        await self.send(
            ev.event(
                "input_audio_buffer.speech_started",
                audio_start_ms=self._speech_start_ms,
                item_id=self._speech_item,
            )
        )
        if self.active and self._turn_detection().get("interrupt_response", True):
            self._cancel_active("turn_detected")

    async def _speech_stopped(self, at_ms: int) -> None:
        item_id = self._speech_item or ev.new_id("item")
        await self.send(
            ev.event("input_audio_buffer.speech_stopped", audio_end_ms=at_ms, item_id=item_id)
        )
        await self._commit(item_id)

    async def _commit(self, item_id: str) -> None:
        audio = bytes(self._utterance or b"")
        self._utterance, self._speech_item = None, None
        await self.send(
            ev.event(
                "input_audio_buffer.committed", item_id=item_id, previous_item_id=self.last_item_id
            )
        )
        item = ev.user_audio_item(item_id, None)
        await self.send(
            ev.event("conversation.item.added", item=item, previous_item_id=self.last_item_id)
        )
        await self.send(
            ev.event("conversation.item.done", item=item, previous_item_id=self.last_item_id)
        )
        self.last_item_id = item_id
        auto = (
            bool(self._turn_detection().get("create_response", True))
            if self._turn_detection()
            else False
        )
        await self.jobs.put(_Job("utterance", audio, {"item_id": item_id, "auto": auto}))

    async def _on_input_audio_buffer_commit(self, data: dict) -> None:
        if self._utterance is None and not self._prefix:
            await self._error(
                "Error committing input audio buffer: buffer is empty.",
                "input_audio_buffer_commit_empty",
                data.get("event_id"),
            )
            return
        if self._utterance is None:
            self._utterance = bytearray(b"".join(self._prefix))
            self._prefix.clear()
        await self._commit(self._speech_item or ev.new_id("item"))

    async def _on_input_audio_buffer_clear(self, data: dict) -> None:
        self._utterance, self._speech_item = None, None
        self._prefix.clear()
        self._partial.clear()
        self._new_detector()
        await self.send(ev.event("input_audio_buffer.cleared"))

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

    async def _on_response_create(self, data: dict) -> None:
        await self.jobs.put(_Job("respond"))

    async def _on_response_cancel(self, data: dict) -> None:
        if not self.active:
            await self._error(
                "Cancellation failed: no active response found.",
                "response_cancel_not_active",
                data.get("event_id"),
            )
            return
        self._cancel_active("client_cancelled")

    def _cancel_active(self, reason: str) -> None:
        if self.active and not self.active.cancelled:
            self.active.cancelled, self.active.reason = True, reason

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
            item_id = job.extra["item_id"]
            state = grammar_state(self.policy.awaiting)
            text = await self.speech.transcribe(self.ctx, state, job.payload)
            log.info("engine %s heard %r (listening for %s)", self.session_id, text, state)
            await self.send(
                ev.event(
                    "conversation.item.input_audio_transcription.completed",
                    item_id=item_id,
                    content_index=0,
                    transcript=text,
                    usage={"type": "duration", "seconds": round(len(job.payload) / 8000, 3)},
                )
            )
            # Speech heard but not understood still gets an answer ("Sorry, I didn't catch that").
            self.pending.append(UserSaid(text))
            if job.extra["auto"] and self.pending:
                await self._respond(auto=True)
        elif job.kind == "event":
            self.pending.append(job.payload)
        elif job.kind == "respond":
            await self._respond(auto=False)

    async def _respond(self, auto: bool) -> None:
        pending, self.pending = self.pending, []
        actions = []
        for event in pending or [Start()]:
            actions += decide(self.policy, event)
        log.info("engine %s: %s -> %s", self.session_id, pending or "start", actions)
        if auto and not actions:
            return
        await self._run_response(actions)

    async def _run_response(self, actions: list) -> None:
        response = _Response(ev.new_id("resp"))
        self.active = response
        out_fmt = self.config["audio"]["output"]["format"]
        voice = str(self.config["audio"]["output"].get("voice") or "marin")
        envelope = {
            "conversation_id": self.conversation_id,
            "output_format": out_fmt,
            "voice": voice,
        }
        await self.send(
            ev.event(
                "response.created",
                response=ev.response(response.response_id, "in_progress", [], **envelope),
            )
        )
        outputs: list[dict] = []
        delivered = 0
        spoken_ms, text_chars = 0, 0
        try:
            for action in actions:
                if response.cancelled:
                    break
                if isinstance(action, Say):
                    item, ms = await self._speak(response, len(outputs), action.text)
                    spoken_ms += ms
                    text_chars += len(action.text)
                elif isinstance(action, CallTool):
                    item = await self._call_tool(response, len(outputs), action)
                    text_chars += len(item["arguments"])
                else:
                    continue
                outputs.append(item)
                delivered += 1
        finally:
            self.active = None
        if response.cancelled:
            decide(self.policy, Interrupted(tuple(actions[delivered:])))
        status = "cancelled" if response.cancelled else "completed"
        usage = ev.usage(
            input_text=len(self.config.get("instructions") or "") // 4 + 40,
            input_audio=self.audio_ms // 100,
            output_text=text_chars // 4 + 1,
            output_audio=spoken_ms // 50,
        )
        await self.send(
            ev.event(
                "response.done",
                response=ev.response(
                    response.response_id,
                    status,
                    outputs,
                    usage=usage,
                    reason=response.reason,
                    **envelope,
                ),
            )
        )

    async def _call_tool(self, response: _Response, index: int, action: CallTool) -> dict:
        item_id, call_id = ev.new_id("item"), ev.new_id("call")
        arguments = json.dumps(action.arguments)
        rid = response.response_id
        await self.send(
            ev.event(
                "response.output_item.added",
                response_id=rid,
                output_index=index,
                item=ev.function_call_item(item_id, call_id, action.name, "", "in_progress"),
            )
        )
        await self.send(
            ev.event(
                "response.function_call_arguments.delta",
                response_id=rid,
                item_id=item_id,
                output_index=index,
                call_id=call_id,
                delta=arguments,
            )
        )
        await self.send(
            ev.event(
                "response.function_call_arguments.done",
                response_id=rid,
                item_id=item_id,
                output_index=index,
                call_id=call_id,
                name=action.name,
                arguments=arguments,
            )
        )
        item = ev.function_call_item(item_id, call_id, action.name, arguments, "completed")
        await self.send(
            ev.event("response.output_item.done", response_id=rid, output_index=index, item=item)
        )
        self.calls[call_id] = action.name
        self.last_item_id = item_id
        return item

    async def _speak(self, response: _Response, index: int, text: str) -> tuple[dict, int]:
        rid, item_id = response.response_id, ev.new_id("item")
        common = {"response_id": rid, "item_id": item_id, "output_index": index, "content_index": 0}
        record = self.items[item_id] = _AudioItem(transcript=text)
        response.current_item = item_id
        await self.send(
            ev.event(
                "response.output_item.added",
                response_id=rid,
                output_index=index,
                item=ev.assistant_item(item_id, "in_progress"),
            )
        )
        await self.send(
            ev.event(
                "conversation.item.added",
                item=ev.assistant_item(item_id, "in_progress"),
                previous_item_id=self.last_item_id,
            )
        )
        self.last_item_id = item_id
        await self.send(
            ev.event(
                "response.content_part.added", **common, part={"type": "audio", "transcript": ""}
            )
        )
        mulaw = await self.speech.speak(text)
        fmt = self.config["audio"]["output"]["format"]
        chunk_bytes = max(FRAME_BYTES, 8 * self.chunk_ms)  # μ-law: 8 bytes per ms
        chunks = [mulaw[i : i + chunk_bytes] for i in range(0, len(mulaw), chunk_bytes)]
        words = text.split()
        sent_words = 0
        sent_ms = 0
        started = time.monotonic()
        for n, chunk in enumerate(chunks, 1):
            if response.cancelled or record.truncated:
                break
            upto = round(len(words) * n / len(chunks))
            if upto > sent_words:
                delta = " ".join(words[sent_words:upto])
                await self.send(
                    ev.event(
                        "response.output_audio_transcript.delta",
                        **common,
                        delta=(" " if sent_words else "") + delta,
                    )
                )
                sent_words = upto
            payload = base64.b64encode(from_mulaw(chunk, fmt)).decode("ascii")
            await self.send(ev.event("response.output_audio.delta", **common, delta=payload))
            sent_ms += len(chunk) // 8
            record.duration_ms = sent_ms
            if self.pace > 0:
                ahead = sent_ms / 1000 / self.pace - (time.monotonic() - started)
                await asyncio.sleep(max(0.0, ahead))
            else:
                await asyncio.sleep(0)  # let cancel/truncate in between chunks
        complete = sent_words == len(words) and not response.cancelled and not record.truncated
        heard = text if complete else " ".join(words[:sent_words])
        status = "completed" if complete else "incomplete"
        await self.send(ev.event("response.output_audio.done", **common))
        await self.send(
            ev.event("response.output_audio_transcript.done", **common, transcript=heard)
        )
        await self.send(
            ev.event(
                "response.content_part.done", **common, part={"type": "audio", "transcript": heard}
            )
        )
        item = ev.assistant_item(item_id, status, heard)
        await self.send(
            ev.event("response.output_item.done", response_id=rid, output_index=index, item=item)
        )
        await self.send(ev.event("conversation.item.done", item=item, previous_item_id=None))
        return item, sent_ms


def _text_event(text: str):
    """A user text item: DTMF notes from the bridge ("DTMF 0", "The caller pressed 0") become
    `Dtmf`, anything else is treated as something the caller said."""
    import re

    m = re.search(r"(?:dtmf|pressed|keypad|digit)\D{0,20}([0-9*#])", text, re.IGNORECASE)
    return Dtmf(m.group(1)) if m else UserSaid(text)
