"""One response, from `response.created` to `response.done`, as the GA server streams it.

Why its own module: the response lifecycle is where the real server's rules live, and where a
client most often gets them wrong. A response is *active* from the moment it is asked for (a
`response.create` accepted, or a commit with `create_response`) until its `response.done` goes
out, cancelled ones included; only then may the client create another (`Session` rejects one
sent earlier, in strict mode). A cancelled response still finishes the function call it was
producing (`function_call_arguments.done`, item `incomplete`); a scripted failure ends `failed`;
a scripted sentence (`EngineRules.say`) is spoken in place of the policy's words.

Each item's transcript runs ahead of its audio (`TRANSCRIPT_LEAD_MS`), as the real server's
does: the model writes its words before they are voiced, so a client can act on them (the
bridge's guardrail) before the caller hears them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from pitstop_local.engine import events as ev
from pitstop_local.engine.policy import CallTool, Interrupted, Say, Start, decide
from pitstop_local.engine.rules import FAILED_DETAILS, EngineRules, rate_limits_event
from pitstop_local.engine.voice import Speech, from_mulaw

log = logging.getLogger(__name__)

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
#: How far the transcript deltas lead the audio deltas (ms of audio not yet sent).
TRANSCRIPT_LEAD_MS = 1000


@dataclass
class ResponseState:
    """A response the client may no longer talk over with another `response.create`."""

    response_id: str
    cancelled: bool = False
    reason: str | None = None
    current_item: str | None = None


@dataclass
class AudioItem:
    duration_ms: int = 0
    truncated: bool = False
    transcript: str = ""


class Responder:
    """The response half of a `Session` (mixed in: it shares the session's state)."""

    rules: EngineRules
    speech: Speech
    pace: float
    chunk_ms: int
    config: dict[str, Any]
    conversation_id: str
    session_id: str
    policy: Any
    pending: list
    active: ResponseState | None
    in_flight: list[ResponseState]
    responses_made: int
    items: dict[str, AudioItem]
    calls: dict[str, str]
    last_item_id: str | None
    audio_ms: int

    async def send(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    def reserve_response(self) -> ResponseState:
        """A response asked for: active (for the one-at-a-time rule) until its `response.done`."""
        response = ResponseState(ev.new_id("resp"))
        self.in_flight.append(response)
        return response

    async def respond(self, response: ResponseState, *, auto: bool) -> None:
        """Decide on everything pending and answer it as `response`."""
        pending, self.pending = self.pending, []
        actions = []
        for event in pending or [Start()]:
            actions += decide(self.policy, event)
        log.info("engine %s: %s -> %s", self.session_id, pending or "start", actions)
        if auto and not actions and not self.rules.strict:
            self.in_flight.remove(response)  # forgiving mode: nothing to say, say nothing
            return
        await self._run_response(response, actions)

    def _envelope(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "output_format": self.config["audio"]["output"]["format"],
            "voice": str(self.config["audio"]["output"].get("voice") or "marin"),
        }

    async def _run_response(self, response: ResponseState, actions: list) -> None:
        self.active = response
        self.responses_made += 1
        envelope = self._envelope()
        rid = response.response_id
        await self.send(
            ev.event("response.created", response=ev.response(rid, "in_progress", [], **envelope))
        )
        if self.rules.sends_rate_limits:
            await self.send(rate_limits_event(self.responses_made))
        failed = self.responses_made in self.rules.fail_responses
        actions = _scripted(actions, self.rules.say.get(self.responses_made))
        outputs: list[dict] = []
        delivered, spoken_ms, text_chars = 0, 0, 0
        try:
            for action in [] if failed else actions:
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
            if response.cancelled and self.rules.strict:
                outputs += await self._cut_call(response, len(outputs), actions[delivered:])
        finally:
            self.active = None
        if response.cancelled or failed:
            decide(self.policy, Interrupted(tuple(actions[delivered:])))
        status = "failed" if failed else "cancelled" if response.cancelled else "completed"
        usage = ev.usage(
            input_text=len(self.config.get("instructions") or "") // 4 + 40,
            input_audio=self.audio_ms // 100,
            output_text=text_chars // 4 + 1,
            output_audio=spoken_ms // 50,
        )
        body = ev.response(
            rid,
            status,
            outputs,
            usage=usage,
            reason=response.reason,
            details=FAILED_DETAILS if failed else None,
            **envelope,
        )
        # No longer active *before* the client can hear so: its next create must be accepted.
        self.in_flight.remove(response)
        await self.send(ev.event("response.done", response=body))

    async def _cut_call(self, response: ResponseState, index: int, undelivered: list) -> list:
        """A cancel that lands while the model writes a function call ends that call too: its
        `function_call_arguments.done` still comes, with the item `incomplete` (GA does so for
        cancelled and interrupted responses). The client must not run it."""
        if undelivered and isinstance(undelivered[0], CallTool):
            return [await self._call_tool(response, index, undelivered[0], status="incomplete")]
        return []

    async def _call_tool(
        self, response: ResponseState, index: int, action: CallTool, status: str = "completed"
    ) -> dict:
        item_id, call_id = ev.new_id("item"), ev.new_id("call")
        arguments = json.dumps(action.arguments)
        rid = response.response_id
        ids = {"response_id": rid, "item_id": item_id, "output_index": index, "call_id": call_id}
        await self.send(
            ev.event(
                "response.output_item.added",
                response_id=rid,
                output_index=index,
                item=ev.function_call_item(item_id, call_id, action.name, "", "in_progress"),
            )
        )
        await self.send(ev.event("response.function_call_arguments.delta", **ids, delta=arguments))
        await self.send(
            ev.event(
                "response.function_call_arguments.done",
                **ids,
                name=action.name,
                arguments=arguments,
            )
        )
        item = ev.function_call_item(item_id, call_id, action.name, arguments, status)
        await self.send(
            ev.event("response.output_item.done", response_id=rid, output_index=index, item=item)
        )
        self.calls[call_id] = action.name
        self.last_item_id = item_id
        return item

    async def _speak(self, response: ResponseState, index: int, text: str) -> tuple[dict, int]:
        rid, item_id = response.response_id, ev.new_id("item")
        common = {"response_id": rid, "item_id": item_id, "output_index": index, "content_index": 0}
        record = self.items[item_id] = AudioItem(transcript=text)
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
        sent_words, sent_ms = await self._stream_audio(response, record, common, text)
        words = text.split()
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

    async def _stream_audio(
        self, response: ResponseState, record: AudioItem, common: dict, text: str
    ) -> tuple[int, int]:
        """Audio and transcript deltas until the text is spoken, cancelled or truncated;
        returns (words sent, ms of audio sent)."""
        mulaw = await self.speech.speak(text)
        fmt = self.config["audio"]["output"]["format"]
        chunk_bytes = max(FRAME_BYTES, 8 * self.chunk_ms)  # μ-law: 8 bytes per ms
        chunks = [mulaw[i : i + chunk_bytes] for i in range(0, len(mulaw), chunk_bytes)]
        words = text.split()
        total_ms = max(1, len(mulaw) // 8)
        sent_words, sent_ms = 0, 0
        started = time.monotonic()
        for chunk in chunks:
            if response.cancelled or record.truncated:
                break
            upto = min(len(words), round(len(words) * (sent_ms + TRANSCRIPT_LEAD_MS) / total_ms))
            if upto > sent_words:
                delta = (" " if sent_words else "") + " ".join(words[sent_words:upto])
                await self.send(
                    ev.event("response.output_audio_transcript.delta", **common, delta=delta)
                )
                sent_words = upto
            payload = base64.b64encode(from_mulaw(chunk, fmt)).decode("ascii")
            await self.send(ev.event("response.output_audio.delta", **common, delta=payload))
            sent_ms += len(chunk) // 8
            record.duration_ms = sent_ms
            if self.pace > 0:  # pacing the stream as a server does, not synchronisation
                ahead = sent_ms / 1000 / self.pace - (time.monotonic() - started)
                await asyncio.sleep(max(0.0, ahead))
            else:
                await asyncio.sleep(0)  # let cancel/truncate in between chunks
        return sent_words, sent_ms


def _scripted(actions: list, sentence: str | None) -> list:
    """The policy's actions with its words replaced by `sentence` (its tool calls kept), so the
    rest of the call goes on as the policy planned once the client has dealt with the words."""
    if sentence is None:
        return actions
    return [Say(sentence), *(a for a in actions if not isinstance(a, Say))]
