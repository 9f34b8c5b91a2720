"""Voice activity detection on a live 8 kHz μ-law stream: cut the caller's audio into
utterances, as the Realtime API's server VAD does (``input_audio_buffer.speech_started`` /
``speech_stopped``).

Each 20 ms frame is classified by PocketSphinx's ``Vad`` (the WebRTC GMM voice detector)
and a small hysteresis turns those per-frame votes into utterances:

* speech starts when ``start_frames`` of the last ``start_window`` frames are voiced
  (default 3 of 5: ~60 ms of voice - fast enough for barge-in, deaf to single clicks);
* speech stops after ``end_silence_ms`` of unvoiced frames. The WebRTC detector keeps
  voting "speech" for 100-160 ms after a voice stops (its own hangover), so the silence a
  listener hears before the stop is ``end_silence_ms`` + ~150 ms. Default 400 ms: a
  sentence followed by 600 ms of silence is closed, while the ~200 ms pauses eSpeak makes
  between sentences of one turn do not split it;
* no speech can start in the first ``warmup_ms`` (100 ms) of a stream: the detector flags
  its first few frames of line noise as speech while it learns the noise floor.

Why not ``pocketsphinx.Endpointer``: it uses one window for both decisions, so a 700 ms
end-of-speech silence would also demand ~600 ms of speech before announcing a start -
too slow for barge-in and deaf to a short "yes".

Times (``at_ms``) are stream time: milliseconds of audio fed since the detector was created
(or ``reset``), i.e. ``audio_start_ms`` / ``audio_end_ms`` of the Realtime events.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from pitstop_local.speech import codec

# pocketsphinx.Vad aggressiveness modes (0 = LOOSE … 3 = STRICT).
LOOSE, MEDIUM_LOOSE, MEDIUM_STRICT, STRICT = 0, 1, 2, 3


@dataclass(frozen=True)
class SpeechStarted:
    """Speech began at ``at_ms`` (stream time of the first voiced frame)."""

    at_ms: int
    kind: str = field(default="speech_started", init=False)


@dataclass(frozen=True)
class SpeechStopped:
    """Speech ended at ``at_ms`` (end of the last voiced frame). ``audio`` is the whole
    utterance as 8 kHz μ-law, from ``audio_start_ms`` (``pre_roll_ms`` before the start)
    to ``tail_ms`` after the end - ready for ``Recognizer.decode_mulaw``."""

    at_ms: int
    audio: bytes = field(repr=False)
    audio_start_ms: int = 0
    started_ms: int = 0
    kind: str = field(default="speech_stopped", init=False)


Event = SpeechStarted | SpeechStopped


class UtteranceDetector:
    """Feed 20 ms μ-law frames as they arrive; get ``SpeechStarted``/``SpeechStopped``.

    Any frame size is accepted (audio is re-chunked into 20 ms VAD frames internally), so
    events are exact to 20 ms. Not thread-safe: one detector per call/stream.
    """

    FRAME_MS = 20

    def __init__(
        self,
        end_silence_ms: int = 400,
        *,
        mode: int = MEDIUM_LOOSE,
        start_frames: int = 3,
        start_window: int = 5,
        pre_roll_ms: int = 200,
        tail_ms: int = 200,
        max_utterance_ms: int = 20_000,
        warmup_ms: int = 100,
    ) -> None:
        from pocketsphinx import Vad

        if not 1 <= start_frames <= start_window:
            raise ValueError("need 1 <= start_frames <= start_window")
        self._vad = Vad(mode, codec.MULAW_RATE, self.FRAME_MS / 1000)
        self._vad_bytes = self._vad.frame_bytes  # PCM16 bytes per 20 ms frame
        self._mulaw_bytes = self._vad_bytes // 2
        self.end_silence_ms = end_silence_ms
        self.start_frames = start_frames
        self.start_window = start_window
        self.pre_roll_ms = pre_roll_ms
        self.tail_ms = tail_ms
        self.max_utterance_ms = max_utterance_ms
        self.warmup_frames = warmup_ms // self.FRAME_MS
        self.reset()

    # -- state
    def reset(self) -> None:
        """Forget everything (new stream): time restarts at 0."""
        self._pending = b""
        self._frame_index = 0  # frames classified so far
        pre = max(self.pre_roll_ms // self.FRAME_MS, 0) + self.start_window
        self._history: deque[tuple[bytes, bool]] = deque(maxlen=pre)
        self._in_speech = False
        self._utterance: list[bytes] = []
        self._utt_first_frame = 0
        self._speech_start_frame = 0
        self._last_voiced_frame = 0
        self._silent_run = 0

    @property
    def in_speech(self) -> bool:
        """True between ``SpeechStarted`` and ``SpeechStopped``."""
        return self._in_speech

    @property
    def now_ms(self) -> int:
        """Stream time of all audio classified so far."""
        return self._frame_index * self.FRAME_MS

    # -- input
    def feed(self, mulaw: bytes) -> list[Event]:
        """Add μ-law audio (normally one 160-byte frame); returns the events it caused."""
        self._pending += mulaw
        events: list[Event] = []
        step = self._mulaw_bytes
        while len(self._pending) >= step:
            frame, self._pending = self._pending[:step], self._pending[step:]
            self._classify(frame, events)
        return events

    def flush(self) -> list[Event]:
        """End of stream: close an utterance still open (pads a partial frame with silence)."""
        events: list[Event] = []
        if self._pending:
            pad = codec.MULAW_SILENCE * (self._mulaw_bytes - len(self._pending))
            self._pending, frame = b"", self._pending + pad
            self._classify(frame, events)
        if self._in_speech:
            events.append(self._stop())
        return events

    # -- machinery
    def _classify(self, frame: bytes, events: list[Event]) -> None:
        index = self._frame_index
        self._frame_index += 1
        # During warm-up the detector's votes are not trusted (see module doc).
        voiced = self._vad.is_speech(codec.mulaw_to_pcm16(frame)) and index >= self.warmup_frames
        self._history.append((frame, voiced))
        if not self._in_speech:
            window = list(self._history)[-self.start_window :]
            if sum(v for _, v in window) >= self.start_frames:
                self._start(index, window, events)
            return
        self._utterance.append(frame)
        if voiced:
            self._last_voiced_frame = index
            self._silent_run = 0
        else:
            self._silent_run += 1
        too_long = len(self._utterance) * self.FRAME_MS >= self.max_utterance_ms
        if self._silent_run * self.FRAME_MS >= self.end_silence_ms or too_long:
            events.append(self._stop())

    def _start(self, index: int, window: list[tuple[bytes, bool]], events: list[Event]) -> None:
        # The utterance begins at the first voiced frame of the onset window...
        first_voiced = next(i for i, (_, v) in enumerate(window) if v)
        self._speech_start_frame = index - (len(window) - 1) + first_voiced
        # ...and its audio at pre_roll before that (as far as history reaches).
        history = list(self._history)
        history_first = index - (len(history) - 1)
        pre_frames = self.pre_roll_ms // self.FRAME_MS
        first = max(history_first, self._speech_start_frame - pre_frames)
        self._utterance = [f for f, _ in history[first - history_first :]]
        self._utt_first_frame = first
        self._last_voiced_frame = index
        self._silent_run = 0
        self._in_speech = True
        events.append(SpeechStarted(at_ms=self._speech_start_frame * self.FRAME_MS))

    def _stop(self) -> SpeechStopped:
        tail_frames = self.tail_ms // self.FRAME_MS
        keep = self._last_voiced_frame + 1 + tail_frames - self._utt_first_frame
        audio = b"".join(self._utterance[: max(keep, 0)])
        event = SpeechStopped(
            at_ms=(self._last_voiced_frame + 1) * self.FRAME_MS,
            audio=audio,
            audio_start_ms=self._utt_first_frame * self.FRAME_MS,
            started_ms=self._speech_start_frame * self.FRAME_MS,
        )
        self._in_speech = False
        self._utterance = []
        self._history.clear()
        return event


def split_utterances(mulaw: bytes, **options: int) -> list[SpeechStopped]:
    """Run a detector over a whole recording; returns its utterances (for tests/tools).
    `options` are the detector's (all int)."""
    detector = UtteranceDetector(**options)
    events: list[Event] = []
    for frame in codec.frames(mulaw):
        events += detector.feed(frame)
    events += detector.flush()
    return [e for e in events if isinstance(e, SpeechStopped)]
