"""The bridge's recording of a call, through the whole local stack: simulated Twilio → webhook
→ bridge → offline engine → moto DynamoDB, with the shop recording calls.

The caller talks over the agent's greeting. The recording the bridge stored (the record links
it) is run through the offline recogniser, one channel at a time: the left holds the caller's
words; the right holds what the caller heard of the agent — the start of the greeting, not the
part the barge-in cleared, then the agent's answer in full. The record has the call's latency.
"""

from __future__ import annotations

import dataclasses
import os
import wave
from pathlib import Path

import pytest

from pitstop.models import DEFAULT_RECORDING_NOTICE
from pitstop.recordings import ENV_RECORDINGS_DIR
from pitstop_local.simulator.recording import agent_heard
from pitstop_local.simulator.scenario import Scenario
from pitstop_local.speech import codec
from pitstop_local.speech.words import normalize_words
from tests.e2e.conftest import render

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CALLER = "+15557770451"  # nobody the seed knows and no other row calls: nothing is booked
BARGE_IN = "Sorry, I need to move my appointment."
#: How the offline engine's greeting ends (its disclosure): the caller talks over it before.
GREETING_END = "This is Robin, Pitstop's offline test voice."


@pytest.fixture
def recording_on(stack):
    """The shop records calls for this test only; the stack's recordings folder."""
    before = stack.crm.shops.settings()
    stack.crm.shops.put_settings(before.model_copy(update={"recording_enabled": True}))
    yield Path(os.environ[ENV_RECORDINGS_DIR])
    stack.crm.shops.put_settings(before)


def channels(path: Path) -> tuple[bytes, bytes]:
    """The stored WAV (16-bit stereo, 8 kHz) as μ-law per channel, caller first."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = wav.readframes(wav.getnframes())
    left = b"".join(frames[i : i + 2] for i in range(0, len(frames), 4))
    right = b"".join(frames[i + 2 : i + 4] for i in range(0, len(frames), 4))
    return codec.pcm16_to_mulaw(left), codec.pcm16_to_mulaw(right)


def recognised(result, track: bytes, sentences: list[str]) -> list[str]:
    """What the offline recogniser hears on `track`, one string per utterance. It misreads the
    first utterance a fresh decoder is given (its feature normalisation starts cold: the
    simulator's own agent channel has Twilio's notice before the greeting, a recording has
    not), so it hears the track twice and the second hearing counts."""
    both = agent_heard(dataclasses.replace(result, agent_audio=track + track), sentences)
    assert len(both) % 2 == 0, both
    return both[len(both) // 2 :]


def voiced_ms(mulaw: bytes) -> int:
    """How long the track is not silent, in 20 ms frames (the engine's speech has no gaps of
    digital silence inside a word, and the line's silence is μ-law 0xFF)."""
    frames = (mulaw[i : i + 160] for i in range(0, len(mulaw), 160))
    return 20 * sum(1 for frame in frames if frame.strip(b"\xff\x7f"))


async def test_the_recording_holds_what_each_side_heard_and_the_record_its_latency(
    stack, recording_on
):
    steps = [
        {"type": "barge_in", "text": BARGE_IN, "after_ms": 1800},
        {"type": "wait_for_agent", "quiet_ms": 900},
        {"type": "hangup"},
    ]
    scenario = Scenario.model_validate({"name": "recorded", "from": CALLER, "steps": steps})
    sim = stack.simulator(speed=1.0)  # real time: the barge-in lands where a caller's would
    result = await sim.call(render(stack, scenario, CALLER))
    await stack.call_finished(result.call_sid)
    assert not result.failures, result.failures
    assert DEFAULT_RECORDING_NOTICE in result.twiml[0]  # the caller was told, before the stream
    [barge] = result.barge_ins
    assert barge.clears >= 1
    assert any(e.kind == "clear" and e.detail["dropped_ms"] > 1000 for e in result.events)

    record = stack.crm.calls.get(result.call_sid)
    assert record.recording_key.startswith(f"calls/{result.call_sid}/MZ")
    left, right = channels(recording_on / record.recording_key)
    # The stream, from about when it started (Twilio's notice plays before it, unrecorded).
    started = next(e.ms for e in result.events if e.kind == "stream_started")
    streamed_ms = len(result.caller_audio) // 8 - started
    assert streamed_ms - 1500 <= len(left) // 8 <= streamed_ms, (len(left) // 8, streamed_ms)

    # The caller's words are on the left (recognised against the caller's own sentence).
    caller_heard = recognised(result, left, [BARGE_IN])
    assert " ".join(normalize_words(BARGE_IN)) in caller_heard, caller_heard

    # On the right: what the caller heard of the agent. Recognised against what the agent said
    # and the end of its greeting, which the barge-in cleared: the start of the greeting is
    # there, its end is not, and the answer after the barge-in is there in full.
    said = result.said("agent")
    heard = recognised(result, right, [*said, GREETING_END])
    assert heard[0].startswith("thanks for calling"), (heard, said)
    assert not any("offline test voice" in h for h in heard), heard
    assert heard[-1] == " ".join(normalize_words(said[-1])), (heard, said)
    # ... and as long as the line played it: the agent's voiced time on the simulator's line
    # (what Twilio played) and in the recording agree to within a few frames.
    line = result.agent_audio[started * 8 :]
    assert abs(voiced_ms(right) - voiced_ms(line)) <= 100, (voiced_ms(right), voiced_ms(line))

    latency = record.latency
    assert latency is not None and latency.greeting_ms is not None
    assert 0 < latency.greeting_ms < 10_000
    assert latency.response is not None and latency.response.count >= 1
    assert 0 < latency.response.p50_ms <= latency.response.p95_ms <= latency.response.max_ms


async def test_with_recording_off_nothing_is_stored_and_no_notice_is_spoken(stack):
    assert not stack.crm.shops.settings().recording_enabled
    steps = [{"type": "wait_for_agent", "quiet_ms": 600}, {"type": "hangup"}]
    scenario = Scenario.model_validate({"name": "unrecorded", "from": CALLER, "steps": steps})
    result = await stack.simulator(speed=2.0).call(render(stack, scenario, CALLER))
    await stack.call_finished(result.call_sid)
    record = stack.crm.calls.get(result.call_sid)
    assert record.recording_key is None
    assert "<Say" not in result.twiml[0], result.twiml  # no recording notice either
