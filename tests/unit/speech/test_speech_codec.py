"""μ-law ⇄ PCM16, resampling and 20 ms framing."""

from __future__ import annotations

import numpy as np
import pytest

from pitstop_local.speech import codec


def _tone(freq: float, rate: int, seconds: float = 0.5, amplitude: float = 8000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype("<i2").tobytes()


def _peak_hz(pcm: bytes, rate: int) -> float:
    x = np.frombuffer(pcm, "<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_alaw_round_trip_is_within_quantisation_error():
    pcm = _tone(440, 8000)
    alaw = codec.pcm16_to_alaw(pcm + b"\x00")  # a trailing odd byte is dropped
    assert len(alaw) == len(pcm) // 2
    back = np.frombuffer(codec.alaw_to_pcm16(alaw), "<i2").astype(int)
    orig = np.frombuffer(pcm, "<i2").astype(int)
    # G.711 A-law: at most ~1/32 of the value above its linear segment, ±16 below it.
    assert np.all(np.abs(back - orig) <= np.abs(orig) / 16 + 40)
    assert np.corrcoef(back, orig)[0, 1] > 0.999


def test_mulaw_round_trip_is_within_quantisation_error():
    pcm = _tone(440, 8000)
    mulaw = codec.pcm16_to_mulaw(pcm)
    assert len(mulaw) == len(pcm) // 2  # one byte per sample
    back = np.frombuffer(codec.mulaw_to_pcm16(mulaw), "<i2").astype(int)
    orig = np.frombuffer(pcm, "<i2").astype(int)
    # G.711 μ-law: step size grows with amplitude, at most ~1/16 of the value (+ bias).
    assert np.all(np.abs(back - orig) <= np.abs(orig) / 16 + 40)
    assert np.corrcoef(back, orig)[0, 1] > 0.999


def test_mulaw_silence_byte_decodes_to_zero():
    assert codec.mulaw_to_pcm16(codec.MULAW_SILENCE * 4) == b"\0" * 8
    assert codec.pcm16_to_mulaw(b"\0\0" * 4) == codec.MULAW_SILENCE * 4
    assert codec.silence_mulaw(20) == codec.MULAW_SILENCE * codec.FRAME_BYTES


def test_pcm16_to_mulaw_drops_a_trailing_odd_byte():
    assert len(codec.pcm16_to_mulaw(b"\x10\x00\x20")) == 1


@pytest.mark.parametrize(
    ("src", "dst"), [(8000, 16000), (22050, 8000), (24000, 8000), (8000, 24000)]
)
def test_resample_keeps_duration_and_pitch(src, dst):
    pcm = _tone(440, src)
    out = codec.resample_pcm16(pcm, src, dst)
    assert abs(len(out) // 2 - len(pcm) // 2 * dst / src) <= 2
    assert abs(_peak_hz(out, dst) - 440) < 5


def test_resample_same_rate_and_empty_are_identity():
    pcm = _tone(300, 8000, 0.1)
    assert codec.resample_pcm16(pcm, 8000, 8000) == pcm
    assert codec.resample_pcm16(b"", 8000, 16000) == b""


def test_resample_removes_what_8khz_cannot_carry():
    # A 6 kHz tone is above the 4 kHz Nyquist limit of the phone line: it must vanish, not alias.
    loud = _tone(6000, 16000)
    out = np.frombuffer(codec.resample_pcm16(loud, 16000, 8000), "<i2").astype(float)
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 100


def test_frames_are_160_bytes_and_the_last_is_padded_with_silence():
    mulaw = bytes(range(200)) * 2  # 400 bytes = 2.5 frames
    chunks = list(codec.frames(mulaw))
    assert codec.FRAME_BYTES == 160
    assert [len(c) for c in chunks] == [160, 160, 160]
    assert b"".join(chunks)[:400] == mulaw
    assert chunks[-1][80:] == codec.MULAW_SILENCE * 80
    assert list(codec.frames(b"")) == []


def test_duration_and_composites():
    assert codec.duration_ms(b"\xff" * 8000) == 1000
    pcm = _tone(500, 22050, 0.2)
    mulaw = codec.pcm16_to_mulaw8k(pcm, 22050)
    assert len(mulaw) == pytest.approx(1600, abs=2)
    assert len(codec.mulaw8k_to_pcm16(mulaw, 16000)) == pytest.approx(6400, abs=4)
