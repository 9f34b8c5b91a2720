"""eSpeak NG from the wheel: speech as 8 kHz μ-law, two distinct voices, caching, threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from pitstop_local.speech import codec
from pitstop_local.speech.tts import AGENT_VOICE, CALLER_VOICE, Synthesizer, TTSError


def _f0(mulaw: bytes) -> float:
    """Median pitch (Hz) over voiced 40 ms windows, by autocorrelation."""
    x = np.frombuffer(codec.mulaw_to_pcm16(mulaw), "<i2").astype(float)
    pitches = []
    for start in range(0, len(x) - 320, 160):
        w = x[start : start + 320]
        if np.sqrt(np.mean(w**2)) < 1000:
            continue
        ac = np.correlate(w, w, "full")[319:]
        lag = int(np.argmax(ac[20:160])) + 20  # 50-400 Hz
        pitches.append(8000 / lag)
    return float(np.median(pitches))


def test_speaks_telephone_audio(caller):
    mulaw = caller.synthesize_mulaw("I'd like to book an oil change")
    seconds = len(mulaw) / 8000
    assert 1.0 < seconds < 4.0
    pcm = np.frombuffer(codec.mulaw_to_pcm16(mulaw), "<i2").astype(float)
    assert np.sqrt(np.mean(pcm**2)) > 500  # audible, not silence


def test_native_pcm_and_rate(caller):
    pcm, rate = caller.synthesize_pcm16("goodbye")
    assert rate == caller.sample_rate == 22050
    assert len(pcm) % 2 == 0 and len(pcm) > rate // 5


def test_empty_text_is_silence(caller):
    assert caller.synthesize_mulaw("  ") == b""
    assert caller.synthesize_pcm16("")[0] == b""


def test_identical_text_is_cached(caller):
    first = caller.synthesize_mulaw("Tuesday morning please")
    assert caller.synthesize_mulaw("Tuesday morning  please") is first  # whitespace-normalised


def test_agent_and_caller_sound_different(agent, caller):
    text = "Yes, that works for me."
    a, c = agent.synthesize_mulaw(text), caller.synthesize_mulaw(text)
    assert a != c
    assert _f0(a) > _f0(c) * 1.3  # the agent's voice is clearly higher


def test_rate_changes_duration():
    slow = Synthesizer("en-us", rate_wpm=120).synthesize_mulaw("cancel my appointment please")
    fast = Synthesizer("en-us", rate_wpm=240).synthesize_mulaw("cancel my appointment please")
    assert len(slow) > len(fast) * 1.4


def test_unknown_voice_is_an_error():
    with pytest.raises(TTSError):
        Synthesizer("xx-nonexistent").synthesize_mulaw("hello")


def test_concurrent_use_is_safe(agent, caller):
    # The caller's Klatt voice is deterministic (the agent's has random breath noise), so
    # its output must come out bit-identical while other threads speak with another voice.
    texts = [f"Your appointment number is {n}" for n in range(8)]
    expected = {t: caller._synth_native(t)[0] for t in texts}
    results: dict[str, bytes] = {}
    agent_audio: list[bytes] = []

    def speak_as_caller(text: str) -> None:
        results[text] = Synthesizer(**CALLER_VOICE).synthesize_pcm16(text)[0]

    def speak_as_agent(text: str) -> None:
        agent_audio.append(Synthesizer(**AGENT_VOICE).synthesize_pcm16(text)[0])

    threads = [threading.Thread(target=speak_as_caller, args=(t,)) for t in texts]
    threads += [threading.Thread(target=speak_as_agent, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected
    assert len(agent_audio) == len(texts) and all(len(a) > 22050 for a in agent_audio)
