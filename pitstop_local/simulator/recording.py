"""The call's recording: a stereo WAV (caller left, agent right) and a JSON transcript.

Why stereo from the simulator's clock: both channels were filled tick by tick, so the file
shows exactly what each side heard and when — an agent that keeps talking over the caller,
or a gap while a tool runs, is audible and visible in any audio editor. The agent channel is
what Twilio played: audio a `clear` dropped is not in it, so `agent_heard` (the offline
recogniser over that channel) says what the caller actually heard.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np

from pitstop_local.simulator.twilio_sim import CallResult
from pitstop_local.speech import codec, vad
from pitstop_local.speech.asr import Recognizer
from pitstop_local.speech.words import normalize_words

#: Odds of one more phrase in an utterance: a cut-off sentence and the next one can run together.
CHAIN_PENALTY = 1e-3


def write_wav(result: CallResult, path: Path) -> Path:
    """Write 8 kHz 16-bit stereo PCM: left = caller, right = agent (what each side sent)."""
    left = np.frombuffer(codec.mulaw_to_pcm16(result.caller_audio), dtype="<i2")
    right = np.frombuffer(codec.mulaw_to_pcm16(result.agent_audio), dtype="<i2")
    n = max(left.size, right.size)
    stereo = np.zeros((n, 2), dtype="<i2")
    stereo[: left.size, 0] = left
    stereo[: right.size, 1] = right
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(codec.MULAW_RATE)
        wav.writeframes(stereo.tobytes())
    return path


def write_transcript(result: CallResult, path: Path) -> Path:
    """Write the JSON transcript (turns with call-time offsets, line events, barge-ins)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json(), indent=2, default=str), encoding="utf-8")
    return path


def save(result: CallResult, wav_path: Path) -> tuple[Path, Path]:
    """Both files: `<name>.wav` and `<name>.json` beside it."""
    wav_path = Path(wav_path)
    return write_wav(result, wav_path), write_transcript(result, wav_path.with_suffix(".json"))


def agent_heard(result: CallResult, sentences: list[str]) -> list[str]:
    """What the caller heard the agent say, one string per utterance on the agent channel,
    recognised against `sentences` and every word prefix of them (a sentence cut short by a
    `clear` is heard as its first words, not forced into a whole sentence)."""
    phrases: set[str] = set()
    for sentence in sentences:
        words = normalize_words(sentence)
        phrases.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
    recognizer = Recognizer(sorted(phrases), chain_penalty=CHAIN_PENALTY)
    utterances = vad.split_utterances(result.agent_audio)
    return [recognizer.decode_mulaw(u.audio) for u in utterances]
