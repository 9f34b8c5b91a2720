"""The call's stereo recording: caller left, agent right, as the caller heard it.

The clock is the caller's own audio: Twilio sends a 20 ms `media` frame every 20 ms for the
whole call, so the n-th caller sample is the call's n-th sample of time. Agent audio sent to
Twilio plays from the moment it is sent (or after what is still queued before it), at the same
8 kHz. So the agent track is a queue, `_ahead`, of agent samples not yet due to play, laid
from the caller's current position on: each caller frame takes as many agent samples off the
front (silence when there are none) and both go to the file. A `clear` drops Twilio's
buffered audio, which is exactly `_ahead`: what a barge-in cut never reaches the file. (This
is the `Playout` model of call_state.py, with the caller's frames as the clock instead of the
wall clock: the two agree to within a frame; the tests check it.)

Format: 16-bit PCM WAV, 8 kHz, 2 channels. Not μ-law WAV (format 7, half the size): browsers
other than Chrome and Python's own `wave` refuse it, and the console plays these in any
browser. μ-law becomes PCM through two 256-byte tables (`bytes.translate`, C speed), no
per-sample Python. A 30-minute call is 57.6 MB; it is spooled to a temporary file as it goes
(at most `FLUSH_BYTES` in memory, plus the agent audio not yet due, capped at `MAX_AHEAD`)
and stored after the call, off the audio path (see `RecordingStore`).
"""

from __future__ import annotations

import binascii
import struct
import tempfile
from collections.abc import Callable
from typing import IO

from media_bridge.observability import BridgeMetrics, logger
from media_bridge.recording_store import RecordingStore, store_from_env
from pitstop.models import AgentSettings
from pitstop.recordings import recording_key, retention_days

RATE = 8000
CHANNELS = 2
SAMPLE_BYTES = 2
FLUSH_BYTES = 64 * 1024  # ~2 s of stereo PCM held before a write to the spool file
MAX_AHEAD = 5 * 60 * RATE  # agent samples queued ahead of the caller: 5 minutes, 2.4 MB
_SILENCE = b"\xff"  # μ-law zero


def _ulaw_to_linear(code: int) -> int:
    """G.711 μ-law code → 16-bit linear sample."""
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code >> 4) & 0x07)
    return 0x84 - magnitude if code & 0x80 else magnitude - 0x84


_LINEAR = [_ulaw_to_linear(code) & 0xFFFF for code in range(256)]
_LOW = bytes(sample & 0xFF for sample in _LINEAR)
_HIGH = bytes(sample >> 8 for sample in _LINEAR)


def wav_header(data_bytes: int) -> bytes:
    """The 44-byte header of a PCM WAV holding `data_bytes` of stereo 8 kHz 16-bit samples."""
    block = CHANNELS * SAMPLE_BYTES
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, CHANNELS, RATE, RATE * block, block, SAMPLE_BYTES * 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def stereo_pcm(left: bytes, right: bytes) -> bytearray:
    """Interleaved 16-bit little-endian stereo from two equally long μ-law tracks."""
    out = bytearray(len(left) * CHANNELS * SAMPLE_BYTES)
    out[0::4] = left.translate(_LOW)
    out[1::4] = left.translate(_HIGH)
    out[2::4] = right.translate(_LOW)
    out[3::4] = right.translate(_HIGH)
    return out


class NotRecording:
    """The shop does not record (or the bridge has nowhere to keep it): every hook is a no-op."""

    __slots__ = ()

    def agent(self, payload_b64: bytes) -> None:
        return None

    def cleared(self) -> None:
        return None

    def save(self) -> str | None:
        return None


NOT_RECORDING = NotRecording()


class CallRecording:
    """One stream's recording, spooled to a temporary file. The hooks (`caller`, `agent`,
    `cleared`) are synchronous and cheap: a base64 decode, a slice, an append; a file write
    once every ~2 s. Payloads are the stream's base64 μ-law, already checked to be base64.
    `save` stores it once the call is over (blocking: it runs in the record's writer thread)."""

    __slots__ = (
        "_ahead",
        "_buffer",
        "_call_sid",
        "_capped",
        "_metrics",
        "_retention_days",
        "_spool",
        "_store",
        "key",
        "samples",
    )

    def __init__(
        self,
        key: str,
        store: RecordingStore,
        *,
        call_sid: str,
        retention_days: int,
        metrics: BridgeMetrics,
        spool: IO[bytes] | None = None,
    ) -> None:
        self.key = key
        self._store = store
        # Said in its log lines: neither the writer thread nor a frame callback carries the call.
        self._call_sid = call_sid
        self._retention_days = retention_days
        self._metrics = metrics
        # Open for the whole call; `save` closes it.
        self._spool = spool or tempfile.TemporaryFile(prefix="call-")  # noqa: SIM115
        self._spool.write(wav_header(0))  # the sizes are filled in by `_finish`
        self._ahead = bytearray()  # agent μ-law from the caller's position on, not yet due
        self._buffer = bytearray()
        self._capped = False
        self.samples = 0  # caller samples so far: the recording's length, at 8 kHz

    def tap(self, sink: Callable[[bytes], None]) -> Callable[[bytes], None]:
        """`sink` of the caller's audio, each frame recorded (`caller`) on its way to it."""

        def recorded(payload_b64: bytes) -> None:
            self.caller(payload_b64)
            sink(payload_b64)

        return recorded

    def caller(self, payload_b64: bytes) -> None:
        """A frame of the caller: the clock moves on by its length, taking the agent's audio
        due in that time (silence where the agent was quiet)."""
        left = binascii.a2b_base64(payload_b64)
        n = len(left)
        ahead = self._ahead
        right = bytes(ahead[:n]).ljust(n, _SILENCE)
        del ahead[:n]
        self._buffer += stereo_pcm(left, right)
        self.samples += n
        if len(self._buffer) >= FLUSH_BYTES:
            self._flush()

    def agent(self, payload_b64: bytes) -> None:
        """Agent audio sent to Twilio: it plays after whatever is still queued before it."""
        if len(self._ahead) >= MAX_AHEAD:
            if not self._capped:
                self._capped = True
                logger.warning(
                    "recording: agent audio far ahead of the call; not recorded",
                    extra={"call_sid": self._call_sid},
                )
            return
        self._ahead += binascii.a2b_base64(payload_b64)

    def cleared(self) -> None:
        """Twilio's buffer was cleared (barge-in, a stopped phrase): that audio never played."""
        self._ahead.clear()

    def save(self) -> str | None:
        """Store the recording; its key, or None when it could not be stored (logged with
        the call, counted as `RecordingsFailed`: the call's record is written without it)."""
        try:
            wav = self._finish()
            self._store.put(self.key, wav, retention_days(self._retention_days))
        except Exception:
            logger.exception(
                "could not store the call recording",
                extra={"call_sid": self._call_sid, "key": self.key},
            )
            self._metrics.count("RecordingsFailed")
            return None
        finally:
            self._spool.close()
        self._metrics.count("Recordings")
        return self.key

    def _finish(self) -> IO[bytes]:
        """The complete WAV file, its sizes filled in, rewound."""
        self._flush()
        spool = self._spool
        spool.seek(0)
        spool.write(wav_header(self.samples * CHANNELS * SAMPLE_BYTES))
        spool.seek(0)
        return spool

    def _flush(self) -> None:
        if self._buffer:
            self._spool.write(self._buffer)
            self._buffer = bytearray()


Recording = CallRecording | NotRecording


def open_recording(
    settings: AgentSettings, call_sid: str, stream_sid: str, metrics: BridgeMetrics
) -> Recording:
    """The stream's recording if the shop records calls and the bridge has somewhere to keep
    them (`PITSTOP_RECORDINGS_BUCKET` or `PITSTOP_RECORDINGS_DIR`), else `NOT_RECORDING`."""
    if not settings.recording_enabled:
        return NOT_RECORDING
    store = store_from_env()
    if store is None:
        logger.warning("recording is on but the bridge has no recordings bucket or folder")
        metrics.count("RecordingsFailed")
        return NOT_RECORDING
    return CallRecording(
        recording_key(call_sid, stream_sid),
        store,
        call_sid=call_sid,
        retention_days=settings.recording_retention_days,
        metrics=metrics,
    )
