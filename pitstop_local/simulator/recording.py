"""The call's recording: a stereo WAV (caller left, agent right) and a JSON transcript.

Why stereo from the simulator's clock: both channels were filled tick by tick, so the file
shows exactly what each side heard and when — an agent that keeps talking over the caller,
or a gap while a tool runs, is audible and visible in any audio editor.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np

from pitstop_local.simulator.twilio_sim import CallResult
from pitstop_local.speech import codec


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
