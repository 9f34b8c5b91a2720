"""Offline speech for the local development engine and the call simulator.

Everything comes from wheels (no system packages, no network): eSpeak NG via
``espeakng-loader`` speaks, PocketSphinx (its wheel ships an en-US model) hears and detects
voice activity, ``soxr``/``audioop`` convert audio. It is a development and test stack: good
enough to drive a scripted phone call end to end, not a production speech engine.

Public API (import from the submodules, or from here):

* ``codec``   - ``mulaw_to_pcm16``, ``pcm16_to_mulaw``, ``resample_pcm16``, ``frames``,
  ``FRAME_BYTES`` (160 = 20 ms of 8 kHz μ-law), ``silence_mulaw``.
* ``tts``     - ``Synthesizer(voice, rate_wpm, pitch)``: ``synthesize_mulaw(text)``,
  ``synthesize_pcm16(text)``; ``CALLER_VOICE`` / ``AGENT_VOICE`` presets.
* ``vad``     - ``UtteranceDetector(end_silence_ms)``: ``feed(frame) -> [SpeechStarted |
  SpeechStopped]``, ``flush()``.
* ``asr``     - ``Recognizer(phrases)``: ``decode_mulaw(utterance) -> str``.
* ``grammar`` - ``caller_phrases(services, days=, names=)``: templates for the grammar.
* ``words``   - ``spell_number``, ``spell_time``, ``spell_date``, ``normalize_text``.

See ``README.md`` beside this file for usage, measured accuracy and costs.
"""

from pitstop_local.speech.asr import Recognizer
from pitstop_local.speech.codec import FRAME_BYTES, frames, mulaw_to_pcm16, pcm16_to_mulaw
from pitstop_local.speech.grammar import caller_phrases
from pitstop_local.speech.tts import AGENT_VOICE, CALLER_VOICE, Synthesizer
from pitstop_local.speech.vad import SpeechStarted, SpeechStopped, UtteranceDetector

__all__ = [
    "AGENT_VOICE",
    "CALLER_VOICE",
    "FRAME_BYTES",
    "Recognizer",
    "SpeechStarted",
    "SpeechStopped",
    "Synthesizer",
    "UtteranceDetector",
    "caller_phrases",
    "frames",
    "mulaw_to_pcm16",
    "pcm16_to_mulaw",
]
