"""The input half of a session: audio in, server VAD, commits (mixed into `Session`).

Why separate: what the server hears (`input_audio_buffer.*` and the speech events, timed on
the session's input-audio timeline) is independent of what it answers; the session decides
what a committed utterance leads to (`utterance_committed`).
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from typing import Any

from pitstop_local.engine import events as ev
from pitstop_local.engine.voice import detector, to_mulaw
from pitstop_local.speech.vad import SpeechStarted, SpeechStopped

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
FRAME_MS = 20
DEFAULT_TURN_DETECTION = {
    "type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": 500,
    "idle_timeout_ms": None, "create_response": True, "interrupt_response": True,
}  # fmt: skip
#: Input frames kept before an utterance: the longest usable `prefix_padding_ms` (~600 ms)
#: plus the detector's start delay.
PREFIX_FRAMES = 32


class Listener:
    """Input audio → speech_started / speech_stopped / committed."""

    config: dict[str, Any]
    last_item_id: str | None
    active: Any
    audio_ms: int
    _partial: bytearray
    _prefix: deque[bytes]
    _utterance: bytearray | None
    _speech_item: str | None
    _speech_start_ms: int

    async def send(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _error(
        self, message: str, code: str, event_id: str | None = None, param: str | None = None
    ) -> None:
        raise NotImplementedError

    def _cancel_active(self, reason: str) -> None:
        raise NotImplementedError

    async def utterance_committed(self, audio: bytes, item_id: str, auto: bool) -> None:
        """A user audio item is in the conversation; `auto`: turn detection answers it."""
        raise NotImplementedError

    def _turn_detection(self) -> dict:
        td = self.config["audio"]["input"].get("turn_detection")
        return {**DEFAULT_TURN_DETECTION, **td} if isinstance(td, dict) else {}

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
        td = self._turn_detection()
        await self.utterance_committed(audio, item_id, bool(td and td.get("create_response")))

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
