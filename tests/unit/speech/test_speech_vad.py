"""Utterance detection on the live 20 ms μ-law stream."""

from __future__ import annotations

import numpy as np
import pytest

from pitstop_local.speech import codec
from pitstop_local.speech.vad import (
    SpeechStarted,
    SpeechStopped,
    UtteranceDetector,
    split_utterances,
)


def _events(detector: UtteranceDetector, mulaw: bytes, chunk: int = codec.FRAME_BYTES):
    out = []
    for i in range(0, len(mulaw), chunk):
        out += detector.feed(mulaw[i : i + chunk])
    return out


def test_silence_gives_nothing():
    detector = UtteranceDetector()
    assert _events(detector, codec.silence_mulaw(5000)) == []
    assert detector.flush() == [] and not detector.in_speech
    assert detector.now_ms == 5000


def test_line_noise_gives_nothing():
    noise = np.random.default_rng(7).normal(0, 60, 8000 * 3).astype("<i2").tobytes()
    assert split_utterances(codec.pcm16_to_mulaw(noise)) == []


@pytest.mark.parametrize(
    "text",
    ["I'd like to book an oil change", "Tuesday morning please", "yes that works",
     "I want to talk to a person", "cancel my appointment", "goodbye", "no",
     "I'd like to book an oil change, on Tuesday, at nine thirty."],
)  # fmt: skip
def test_one_sentence_then_silence_is_one_utterance(caller, text):
    speech = caller.synthesize_mulaw(text)
    stream = codec.silence_mulaw(400) + speech + codec.silence_mulaw(600)
    detector = UtteranceDetector()  # default end-of-speech silence
    events = _events(detector, stream)
    assert [e.kind for e in events] == ["speech_started", "speech_stopped"]
    started, stopped = events
    assert isinstance(started, SpeechStarted) and isinstance(stopped, SpeechStopped)
    assert 380 <= started.at_ms <= 400 + 200  # on the first voiced frame (± eSpeak's lead-in)
    end_of_speech = 400 + codec.duration_ms(speech)
    # eSpeak ends with ~50 ms of its own silence; the detector's hangover adds 100-160 ms.
    assert end_of_speech - 100 <= stopped.at_ms <= end_of_speech + 200
    assert stopped.started_ms == started.at_ms
    # The utterance audio covers the speech, with pre-roll before and a short tail after.
    assert stopped.audio_start_ms == started.at_ms - 200
    assert len(stopped.audio) == (stopped.at_ms - stopped.audio_start_ms + 200) * 8


def test_stop_is_reported_exactly_end_silence_after_speech(caller):
    speech = caller.synthesize_mulaw("cancel my appointment")
    detector = UtteranceDetector(end_silence_ms=800)
    events = _events(detector, speech)
    events += _events(detector, codec.silence_mulaw(780))
    assert [e.kind for e in events] == ["speech_started"]  # not yet: 800 ms not reached
    events = _events(detector, codec.silence_mulaw(200))
    assert [e.kind for e in events] == ["speech_stopped"]


def test_two_sentences_with_a_long_pause_are_two_utterances(caller):
    a = caller.synthesize_mulaw("I'd like to book an oil change")
    b = caller.synthesize_mulaw("Tuesday morning please")
    stream = a + codec.silence_mulaw(1200) + b + codec.silence_mulaw(800)
    assert len(split_utterances(stream, end_silence_ms=700)) == 2
    # A pause shorter than the end-of-speech silence keeps them together.
    stream = a + codec.silence_mulaw(400) + b + codec.silence_mulaw(800)
    assert len(split_utterances(stream, end_silence_ms=700)) == 1


def test_any_chunk_size_gives_the_same_events(caller):
    stream = (
        codec.silence_mulaw(300)
        + caller.synthesize_mulaw("yes that works")
        + codec.silence_mulaw(900)
    )
    reference = _events(UtteranceDetector(), stream)
    for chunk in (1, 77, 160, 480, 4000):
        assert _events(UtteranceDetector(), stream, chunk) == reference


def test_flush_closes_an_open_utterance(caller):
    detector = UtteranceDetector()
    events = _events(detector, caller.synthesize_mulaw("I want to talk to a person")[:8000])
    assert [e.kind for e in events] == ["speech_started"] and detector.in_speech
    (stopped,) = detector.flush()
    assert isinstance(stopped, SpeechStopped) and stopped.audio


def test_reset_restarts_time(caller):
    detector = UtteranceDetector()
    _events(detector, codec.silence_mulaw(1000) + caller.synthesize_mulaw("goodbye"))
    detector.reset()
    assert detector.now_ms == 0 and not detector.in_speech
    events = _events(detector, caller.synthesize_mulaw("goodbye") + codec.silence_mulaw(800))
    assert events[0].at_ms < 200


def test_max_utterance_cuts_endless_speech(caller):
    long_speech = caller.synthesize_mulaw("I'd like to book an oil change " * 6)
    utterances = split_utterances(long_speech + codec.silence_mulaw(800), max_utterance_ms=3000)
    assert len(utterances) >= 2
    assert all(len(u.audio) <= (3000 + 200 + 200) * 8 for u in utterances)


def test_bad_hysteresis_is_rejected():
    with pytest.raises(ValueError, match="start_frames <= start_window"):
        UtteranceDetector(start_frames=4, start_window=3)
