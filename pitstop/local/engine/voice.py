"""The engine's ears and mouth, shared by every session in the process.

Why shared: eSpeak NG output for a repeated sentence ("Is there anything else I can help you
with?") is cached once for all calls, and a PocketSphinx recogniser is built once per grammar
(the shop's vocabulary), not per call — on 2 CPU cores, that is the difference between a
snappy test suite and a slow one. Synthesis and recognition run in a thread executor so the
event loop keeps relaying audio; each recogniser is used under its own lock (a decoder is not
thread-safe).

Speech comes from the speech layer (`pitstop.local.speech`): `Synthesizer.synthesize_mulaw`,
`Recognizer(phrases).decode_mulaw`, `UtteranceDetector.feed(frame)`.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pitstop.local.engine.context import Context
from pitstop.local.engine.grammar import KEYWORDS, STATES, build_phrases
from pitstop.local.speech import codec

log = logging.getLogger(__name__)


def _speech_attr(name: str, modules: Iterable[str]) -> Any:
    """Find a speech-layer class by name in whichever module defines it."""
    for module in ("pitstop.local.speech", *modules):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if found is not None:
            return found
    raise ImportError(f"pitstop.local.speech has no {name}")


def _recognizer_class() -> Any:
    """The recogniser to build per phrase set.

    Default: the engine's `PhraseRecognizer` (a prefix-tree FSG of the engine's per-state
    phrase lists). Measured on the scenario sentences spoken by the caller voice: ~0.1-0.5 s
    per utterance and most sentences exact, where the speech layer's template `Recognizer`
    (built for a few hundred chained templates) took 1-2 s per utterance on these flat lists.
    `PITSTOP_ENGINE_ASR=speech` selects the speech layer's `Recognizer` instead.
    """
    if os.environ.get("PITSTOP_ENGINE_ASR", "").lower() == "speech":
        try:
            return _speech_attr("Recognizer", ("pitstop.local.speech.asr",))
        except ImportError:
            log.warning("pitstop.local.speech has no Recognizer: using the engine's own")
    from pitstop.local.engine.hearing import PhraseRecognizer

    return PhraseRecognizer


def to_mulaw(raw: bytes, fmt: dict) -> bytes:
    """Client audio in the session's input format → 8 kHz μ-law (what the ears work on)."""
    kind = (fmt or {}).get("type")
    if kind == "audio/pcmu":
        return raw
    if kind == "audio/pcma":
        import audioop

        return codec.pcm16_to_mulaw(audioop.alaw2lin(raw, 2))
    return codec.pcm16_to_mulaw8k(raw, 24000)


def from_mulaw(mulaw: bytes, fmt: dict) -> bytes:
    """8 kHz μ-law (what the mouth makes) → the session's output format."""
    kind = (fmt or {}).get("type")
    if kind == "audio/pcmu":
        return mulaw
    if kind == "audio/pcma":
        import audioop

        return audioop.lin2alaw(codec.mulaw_to_pcm16(mulaw), 2)
    return codec.resample_pcm16(codec.mulaw_to_pcm16(mulaw), 8000, 24000)


class Speech:
    """Text-to-speech, recognisers per grammar, and voice activity detectors."""

    def __init__(self, synthesizer: Any | None = None) -> None:
        if synthesizer is None:
            from pitstop.local.speech.tts import AGENT_VOICE, Synthesizer

            synthesizer = Synthesizer(**AGENT_VOICE)
        self.synthesizer = synthesizer
        # One thread each: eSpeak NG and the PocketSphinx decoder are single-threaded anyway,
        # and a recogniser build never queues in front of the next sentence to speak.
        self._tts = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-tts")
        self._asr = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-asr")
        self._recognizers: dict[tuple[str, ...], Future] = {}
        self._locks: dict[tuple[str, ...], threading.Lock] = {}
        self._guard = threading.Lock()

    # mouth
    async def speak(self, text: str) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._tts, self.synthesizer.synthesize_mulaw, text)

    # ears
    def grammar_for(self, ctx: Context, state: str = "open") -> tuple[str, ...]:
        return build_phrases(ctx, state)

    def prepare_all(self, ctx: Context) -> None:
        """Build every dialogue state's recogniser in the background (first call of a shop)."""
        for state in STATES:
            self.prepare(self.grammar_for(ctx, state))
        self.prepare(KEYWORDS, loop=True)

    def prepare(self, grammar: tuple[str, ...], loop: bool = False) -> Future:
        """Start building the recogniser for `grammar` (once per process), return its future."""
        with self._guard:
            future = self._recognizers.get(grammar)
            if future is None:
                if loop:
                    from pitstop.local.engine.hearing import PhraseRecognizer

                    future = self._asr.submit(PhraseRecognizer, list(grammar), loop=True)
                else:
                    future = self._asr.submit(_recognizer_class(), list(grammar))
                self._recognizers[grammar] = future
                self._locks[grammar] = threading.Lock()
            return future

    def transcribe_sync(self, grammar: tuple[str, ...], mulaw: bytes) -> str:
        text = self._decode(grammar, mulaw)
        if not text:  # no phrase matched: spot keywords instead of hearing nothing
            text = self._decode(KEYWORDS, mulaw, loop=True)
        return text

    def _decode(self, grammar: tuple[str, ...], mulaw: bytes, loop: bool = False) -> str:
        recognizer = self.prepare(grammar, loop=loop).result()
        with self._locks[grammar]:
            result = recognizer.decode_mulaw(mulaw)
        text = getattr(result, "text", result)
        return str(text or "").strip()

    async def transcribe(self, grammar: tuple[str, ...], mulaw: bytes) -> str:
        if not mulaw:
            return ""
        future = self.prepare(grammar)
        await asyncio.wrap_future(future)  # built off the loop, without holding a worker
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._asr, self.transcribe_sync, grammar, mulaw)

    # turn taking
    def detector(self, turn_detection: dict) -> Any:
        """A fresh utterance detector for one input stream; `.feed(frame)` → ["start"|"end", ...]."""
        silence = int(turn_detection.get("silence_duration_ms") or 500)
        try:
            detector_cls = _speech_attr("UtteranceDetector", ("pitstop.local.speech.vad",))
        except ImportError:
            from pitstop.local.engine.hearing import EnergyDetector

            return EnergyDetector(silence_ms=silence)
        return _DetectorAdapter(_make_detector(detector_cls, silence))

    def warm_up(self, ctx: Context | None = None) -> None:
        """Load the TTS engine and the default recognisers in the background."""
        self._tts.submit(self.synthesizer.synthesize_mulaw, "Hello.")
        self.prepare_all(ctx or Context())

    def close(self) -> None:
        self._tts.shutdown(wait=False, cancel_futures=True)
        self._asr.shutdown(wait=False, cancel_futures=True)


def _make_detector(detector_cls: Any, silence_ms: int) -> Any:
    for kwargs in ({"silence_ms": silence_ms}, {"silence_duration_ms": silence_ms}, {}):
        try:
            return detector_cls(**kwargs)
        except TypeError:
            continue
    return detector_cls()


class _DetectorAdapter:
    """Normalise whatever the detector's `feed` returns to a list of "start"/"end" strings."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector

    def feed(self, frame: bytes) -> list[str]:
        result = self.detector.feed(frame)
        if result is None:
            return []
        if isinstance(result, (str, bytes)) or not isinstance(result, Iterable):
            result = [result]
        kinds = []
        for item in result:
            kind = getattr(item, "kind", None) or getattr(item, "type", None) or item
            kind = str(getattr(kind, "value", kind)).lower()
            if "start" in kind:
                kinds.append("start")
            elif "end" in kind or "stop" in kind:
                kinds.append("end")
        return kinds
