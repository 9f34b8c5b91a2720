"""The engine's ears: the speech layer's detector and one recogniser with per-state grammars."""

from __future__ import annotations

import pytest

from pitstop_local.engine.context import parse_context
from pitstop_local.engine.grammar import STATES
from pitstop_local.engine.voice import Speech, detector
from pitstop_local.speech import codec
from pitstop_local.speech.tts import CALLER_VOICE, Synthesizer
from pitstop_local.speech.vad import SpeechStarted, SpeechStopped

CTX = parse_context(
    "Today is Thursday, November 26, 2026.\nServices (typical price range): Oil change ($49-$89).",
    [],
)


@pytest.fixture(scope="module")
def caller():
    return Synthesizer(**CALLER_VOICE)


@pytest.fixture(scope="module")
def speech():
    speech = Speech()
    yield speech
    speech.close()


def _events(silence_ms: int, audio: bytes) -> list:
    d = detector({"type": "server_vad", "silence_duration_ms": silence_ms})
    return [e for frame in codec.frames(audio) for e in d.feed(frame)]


def test_detector_ends_the_turn_after_the_sessions_silence_duration(caller):
    # 900 ms of quiet after the words: a turn with 500 ms silence_duration_ms is over, one
    # with 1500 ms is not (the stop comes silence + the voice detector's ~150 ms hangover).
    audio = (
        codec.silence_mulaw(300)
        + caller.synthesize_mulaw("yes that works")
        + codec.silence_mulaw(900)
    )
    short = _events(500, audio)
    assert [type(e) for e in short] == [SpeechStarted, SpeechStopped]
    assert [type(e) for e in _events(1500, audio)] == [SpeechStarted]


async def test_one_recognizer_holds_a_grammar_per_dialogue_state(speech, caller):
    speech.prepare_all(CTX)
    names = {speech.grammar(CTX, state).result() for state in STATES}
    assert len(names) == len(STATES)
    assert speech.grammar(CTX, "when").result() in names  # compiled once, then reused
    utterance = (
        codec.silence_mulaw(200)
        + caller.synthesize_mulaw("yes that works")
        + codec.silence_mulaw(200)
    )
    assert await speech.transcribe(CTX, "when", utterance) == "yes that works"
    assert await speech.transcribe(CTX, "name", codec.silence_mulaw(500)) == ""


async def test_a_state_grammar_hears_only_its_own_phrases(speech, caller):
    # "my name is jordan rivera" is a sentence of the name grammar, not of the yes/no/when one.
    utterance = (
        codec.silence_mulaw(200)
        + caller.synthesize_mulaw("my name is jordan rivera")
        + codec.silence_mulaw(200)
    )
    assert await speech.transcribe(CTX, "name", utterance) == "my name is jordan rivera"
    assert await speech.transcribe(CTX, "when", utterance) != "my name is jordan rivera"
