"""Offline text-to-speech with eSpeak NG, loaded from the ``espeakng-loader`` wheel.

Why ctypes on the wheel's library: no system package (apt espeak-ng) may be assumed, and the
wheel ships ``libespeak-ng`` plus its data directory. We drive the C API directly in
synchronous *retrieval* mode: ``espeak_Synth`` returns only after the synth callback has
received all samples, so there is no audio device and no background thread.

eSpeak NG keeps one global state (voice, rate, pitch, callback) per process and is not
thread-safe, so every synthesis runs under one module-wide lock and re-applies the calling
``Synthesizer``'s voice settings first. Several ``Synthesizer`` objects (the agent's and the
simulated caller's voices) can therefore share the engine safely.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading

from pitstop_local.speech import codec

log = logging.getLogger(__name__)

# espeak_AUDIO_OUTPUT
_AUDIO_OUTPUT_SYNCHRONOUS = 2
# espeakINITIALIZE_DONT_EXIT: report errors instead of calling exit() inside the library.
_INITIALIZE_DONT_EXIT = 0x8000
# espeak_PARAMETER
_RATE, _VOLUME, _PITCH, _RANGE, _WORDGAP = 1, 2, 3, 4, 7
# espeak_POSITION_TYPE POS_CHARACTER, and synth flag espeakCHARS_UTF8
_POS_CHARACTER = 1
_CHARS_UTF8 = 1

_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

_lock = threading.Lock()


class TTSError(RuntimeError):
    """eSpeak NG could not be loaded or refused a request (e.g. unknown voice)."""


class _Engine:
    """The process-wide eSpeak NG instance. Only touched with ``_lock`` held."""

    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]  # fmt: skip
        lib.espeak_Synth.restype = ctypes.c_int
        data = espeakng_loader.get_data_path().encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise TTSError(f"espeak_Initialize failed ({rate})")
        self.lib = lib
        self.sample_rate = rate
        self._chunks: list[bytes] = []
        # Keep a reference: ctypes callbacks must outlive their registration.
        self._callback = _SynthCallback(self._on_samples)
        lib.espeak_SetSynthCallback(self._callback)

    def _on_samples(self, wav, numsamples, events) -> int:
        if wav and numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0  # 0 = continue synthesis

    def synth(self, text: str, voice: str, params: dict[int, int]) -> bytes:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise TTSError(f"unknown eSpeak NG voice {voice!r}")
        for param, value in params.items():
            self.lib.espeak_SetParameter(param, value, 0)
        data = text.encode("utf-8") + b"\0"
        self._chunks = []
        err = self.lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if err != 0:
            raise TTSError(f"espeak_Synth failed ({err})")
        pcm, self._chunks = b"".join(self._chunks), []
        return pcm


@functools.cache
def _get_engine() -> _Engine:
    """The one eSpeak NG instance of this process (the library keeps global state)."""
    engine = _Engine()
    log.debug("eSpeak NG initialised at %d Hz", engine.sample_rate)
    return engine


class Synthesizer:
    """One voice. ``voice`` is an eSpeak NG voice name, optionally with a variant
    (``"en-us"``, ``"en-us+f3"``, ``"en-gb+m3"``); ``rate_wpm`` is speaking speed (80-450);
    ``pitch`` (0-99, eSpeak's default 50) and ``pitch_range`` (0-99) shape the intonation.

    Results are cached per instance by text (scenarios and prompts repeat), so repeated
    sentences cost nothing. Safe to use from several threads. Klatt voices ("+adam",
    "+klatt6") are bit-for-bit deterministic; most others ("en-us", "+f3") add random
    breath/flutter, so their audio differs slightly from one synthesis to the next.
    """

    def __init__(
        self,
        voice: str = "en-us",
        rate_wpm: int = 175,
        pitch: int = 50,
        pitch_range: int = 50,
        cache_size: int = 256,
    ) -> None:
        self.voice = voice
        self.rate_wpm = rate_wpm
        self.pitch = pitch
        self.pitch_range = pitch_range
        self._params = {_RATE: rate_wpm, _PITCH: pitch, _RANGE: pitch_range, _VOLUME: 100}
        self._cached_pcm = functools.lru_cache(maxsize=cache_size)(self._synth_native)
        self._cached_mulaw = functools.lru_cache(maxsize=cache_size)(self._synth_mulaw)

    @property
    def sample_rate(self) -> int:
        """eSpeak NG's native output rate (22050 Hz); initialises the engine if needed."""
        with _lock:
            return _get_engine().sample_rate

    def _synth_native(self, text: str) -> tuple[bytes, int]:
        with _lock:
            engine = _get_engine()
            return engine.synth(text, self.voice, self._params), engine.sample_rate

    def _synth_mulaw(self, text: str) -> bytes:
        pcm, rate = self._cached_pcm(text)
        return codec.pcm16_to_mulaw8k(pcm, rate)

    def synthesize_pcm16(self, text: str) -> tuple[bytes, int]:
        """Speak ``text``; returns (PCM16 mono bytes, sample rate) at eSpeak's native rate.
        Empty/blank text gives ``(b"", rate)``."""
        text = _clean(text)
        if not text:
            return b"", self.sample_rate
        return self._cached_pcm(text)

    def synthesize_mulaw(self, text: str) -> bytes:
        """Speak ``text`` as 8 kHz μ-law, ready for Twilio ``media`` / Realtime ``audio/pcmu``.
        Leading/trailing silence is eSpeak's own (tens of ms). Empty text gives ``b""``."""
        text = _clean(text)
        if not text:
            return b""
        return self._cached_mulaw(text)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


#: Voice presets for the two parties of a simulated call; they must sound different.
#: The caller's voice is the one PocketSphinx hears best: measured on 40 domain sentences
#: through 8 kHz μ-law (see README.md), eSpeak's Klatt-6 voices ("adam", "klatt6") get ~91%
#: of key words right where the default "en-us" voice gets ~65% and "en-us+f3" ~45%.
CALLER_VOICE = {"voice": "en-us+adam", "rate_wpm": 165, "pitch": 50}
#: The agent speaks with a female variant, higher pitch: easy to tell apart in a recording.
AGENT_VOICE = {"voice": "en-us+f3", "rate_wpm": 170, "pitch": 60}
