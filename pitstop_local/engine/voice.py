"""The engine's ears and mouth, shared by every session in the process.

Why shared: eSpeak NG output for a repeated sentence ("Is there anything else I can help you
with?") is cached once for all calls, and there is one PocketSphinx `Recognizer` per process
(~0.2 s and ~50 MB to load) holding one grammar per dialogue state and shop vocabulary
(`add_grammar`; switching grammars is free), not a decoder per call. Synthesis and
recognition run in single-thread executors so the event loop keeps relaying audio, and a
grammar compile never queues in front of the next sentence to speak.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from pitstop_local.engine.context import Context
from pitstop_local.engine.grammar import STATES, build_phrases
from pitstop_local.speech import codec
from pitstop_local.speech.asr import Recognizer
from pitstop_local.speech.tts import AGENT_VOICE, Synthesizer
from pitstop_local.speech.vad import UtteranceDetector

#: The Realtime API's default when a session leaves `silence_duration_ms` unset.
DEFAULT_SILENCE_MS = 500


def to_mulaw(raw: bytes, fmt: dict) -> bytes:
    """Client audio in the session's input format → 8 kHz μ-law (what the ears work on)."""
    kind = (fmt or {}).get("type")
    if kind == "audio/pcmu":
        return raw
    if kind == "audio/pcma":
        return codec.pcm16_to_mulaw(codec.alaw_to_pcm16(raw))
    return codec.pcm16_to_mulaw8k(raw, 24000)


def from_mulaw(mulaw: bytes, fmt: dict) -> bytes:
    """8 kHz μ-law (what the mouth makes) → the session's output format."""
    kind = (fmt or {}).get("type")
    if kind == "audio/pcmu":
        return mulaw
    if kind == "audio/pcma":
        return codec.pcm16_to_alaw(codec.mulaw_to_pcm16(mulaw))
    return codec.resample_pcm16(codec.mulaw_to_pcm16(mulaw), 8000, 24000)


def detector(turn_detection: dict) -> UtteranceDetector:
    """A fresh utterance detector for one input stream, closing an utterance after the
    session's `silence_duration_ms` (the speech layer's `end_silence_ms`)."""
    silence = turn_detection.get("silence_duration_ms") or DEFAULT_SILENCE_MS
    return UtteranceDetector(end_silence_ms=int(silence))


class Speech:
    """Text-to-speech and the process's recogniser with its per-state grammars."""

    def __init__(self, synthesizer: Synthesizer | None = None) -> None:
        self.synthesizer = synthesizer or Synthesizer(**AGENT_VOICE)
        self._tts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-tts")
        self._asr = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-asr")
        self._recognizer: Future[Recognizer] = self._asr.submit(Recognizer)
        self._grammars: dict[tuple[str, ...], Future[str]] = {}
        self._guard = threading.Lock()

    async def speak(self, text: str) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._tts, self.synthesizer.synthesize_mulaw, text)

    def grammar(self, ctx: Context, state: str) -> Future[str]:
        """The name of the grammar for `state` in this call's context, compiled (once per
        process and distinct phrase list) on the recognition thread."""
        phrases = build_phrases(ctx, state)
        with self._guard:
            future = self._grammars.get(phrases)
            if future is None:
                name = f"{state}-{len(self._grammars)}"
                future = self._asr.submit(self._add_grammar, name, phrases)
                self._grammars[phrases] = future
            return future

    def _add_grammar(self, name: str, phrases: tuple[str, ...]) -> str:
        self._recognizer.result().add_grammar(name, phrases)
        return name

    def prepare_all(self, ctx: Context) -> None:
        """Compile every dialogue state's grammar in the background (first call of a shop)."""
        for state in STATES:
            self.grammar(ctx, state)

    async def transcribe(self, ctx: Context, state: str, mulaw: bytes) -> str:
        """What the caller said in `mulaw`, heard with the grammar for `state`."""
        if not mulaw:
            return ""
        name = await asyncio.wrap_future(self.grammar(ctx, state))
        recognizer = self._recognizer.result()  # built before any grammar was added
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._asr, recognizer.decode_mulaw, mulaw, name)

    def warm_up(self, ctx: Context | None = None) -> None:
        """Load the TTS engine and compile the default context's grammars in the background."""
        self._tts.submit(self.synthesizer.synthesize_mulaw, "Hello.")
        self.prepare_all(ctx or Context())

    def close(self) -> None:
        self._tts.shutdown(wait=False, cancel_futures=True)
        self._asr.shutdown(wait=False, cancel_futures=True)
