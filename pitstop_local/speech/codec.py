"""Telephone audio conversions: G.711 μ-law 8 kHz ⇄ 16-bit PCM, resampling, 20 ms framing.

Why libraries rather than a hand-written codec: μ-law and resampling are easy to get subtly
wrong (bias, clipping, aliasing), so we use the stdlib ``audioop`` (its maintained
``audioop-lts`` backport on Python ≥ 3.13, same import name) and ``soxr`` (libsoxr, a
high-quality band-limited resampler).

All PCM here is mono, signed 16-bit little-endian ("PCM16"), as bytes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import soxr

with warnings.catch_warnings():
    # Python 3.11/3.12 warn that stdlib audioop goes away in 3.13; there audioop-lts takes over.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

#: Sample rate of Twilio Media Streams / OpenAI ``audio/pcmu``.
MULAW_RATE = 8000
#: One 20 ms μ-law frame at 8 kHz (one byte per sample): what Twilio sends per ``media`` event.
FRAME_BYTES = 160
#: Duration of one frame in milliseconds.
FRAME_MS = 20
#: The μ-law encoding of digital silence (PCM 0). Used to pad frames.
MULAW_SILENCE = b"\xff"


def mulaw_to_pcm16(mulaw: bytes) -> bytes:
    """Decode μ-law bytes to PCM16 (two bytes per input byte, same sample rate)."""
    return audioop.ulaw2lin(bytes(mulaw), 2)


def pcm16_to_mulaw(pcm: bytes) -> bytes:
    """Encode PCM16 to μ-law (one byte per sample). A trailing odd byte is dropped."""
    pcm = bytes(pcm)
    if len(pcm) % 2:
        pcm = pcm[:-1]
    return audioop.lin2ulaw(pcm, 2)


def alaw_to_pcm16(alaw: bytes) -> bytes:
    """Decode A-law bytes (Realtime ``audio/pcma``) to PCM16, same sample rate."""
    return audioop.alaw2lin(bytes(alaw), 2)


def pcm16_to_alaw(pcm: bytes) -> bytes:
    """Encode PCM16 to A-law (one byte per sample). A trailing odd byte is dropped."""
    pcm = bytes(pcm)
    return audioop.lin2alaw(pcm[: len(pcm) - len(pcm) % 2], 2)


def resample_pcm16(pcm: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Resample PCM16 from ``src_rate`` to ``dst_rate`` Hz with soxr (HQ, band-limited)."""
    if src_rate == dst_rate or not pcm:
        return bytes(pcm)
    samples = np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2)
    out = soxr.resample(samples, src_rate, dst_rate, quality="HQ")
    return np.asarray(out, dtype="<i2").tobytes()


def pcm16_to_mulaw8k(pcm: bytes, src_rate: int) -> bytes:
    """Resample PCM16 at ``src_rate`` to 8 kHz and encode as μ-law (what a phone line carries)."""
    return pcm16_to_mulaw(resample_pcm16(pcm, src_rate, MULAW_RATE))


def mulaw8k_to_pcm16(mulaw: bytes, dst_rate: int = 16000) -> bytes:
    """Decode 8 kHz μ-law and resample the PCM16 to ``dst_rate`` (16 kHz for PocketSphinx)."""
    return resample_pcm16(mulaw_to_pcm16(mulaw), MULAW_RATE, dst_rate)


def silence_mulaw(ms: int) -> bytes:
    """``ms`` milliseconds of μ-law silence at 8 kHz."""
    return MULAW_SILENCE * (MULAW_RATE * ms // 1000)


def frames(mulaw: bytes, frame_bytes: int = FRAME_BYTES) -> Iterator[bytes]:
    """Split μ-law audio into ``frame_bytes`` chunks (20 ms by default), padding the last
    one with μ-law silence so every frame has the same size, as Twilio's do."""
    mulaw = bytes(mulaw)
    for start in range(0, len(mulaw), frame_bytes):
        chunk = mulaw[start : start + frame_bytes]
        if len(chunk) < frame_bytes:
            chunk += MULAW_SILENCE * (frame_bytes - len(chunk))
        yield chunk


def duration_ms(mulaw: bytes) -> int:
    """Duration of 8 kHz μ-law audio in whole milliseconds."""
    return len(mulaw) * 1000 // MULAW_RATE
