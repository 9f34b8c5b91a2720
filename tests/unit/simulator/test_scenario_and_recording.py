"""Scenario files and the call recording: shipped scenarios load and render for any day; the
WAV is stereo 8 kHz with the caller on the left and the agent on the right."""

from __future__ import annotations

import json
import wave
from datetime import date

import numpy as np
import pytest
from pydantic import ValidationError

from pitstop_local.simulator import recording
from pitstop_local.simulator.scenario import Say, Scenario, load_scenario, shipped_scenarios
from pitstop_local.simulator.twilio_sim import CallResult, Turn
from pitstop_local.speech import codec

REQUIRED = {
    "known-customer-books-oil-change",
    "new-customer-books",
    "reschedule",
    "cancel",
    "handoff",
    "reminder-confirmed",
    "reminder-voicemail",
    "barge-in",
}


def test_every_required_scenario_is_shipped_and_valid():
    shipped = shipped_scenarios()
    assert shipped.keys() >= REQUIRED
    for name in shipped:
        scenario = load_scenario(name)
        assert scenario.name == name
        assert scenario.expect.model_dump(exclude_defaults=True), f"{name} checks nothing"


@pytest.mark.parametrize(
    ("today", "workday", "workday2"),
    [
        (date(2026, 11, 25), "friday", "monday"),  # Thanksgiving (26th) is closed
        (date(2026, 11, 27), "monday", "tuesday"),  # Friday → the weekend is skipped
    ],
)
def test_placeholders_follow_the_shop_calendar(today, workday, workday2):
    closed = {date(2026, 11, 26)}
    scenario = Scenario.model_validate(
        {
            "name": "x",
            "steps": [
                {
                    "type": "say",
                    "text": (
                        "{workday} or {workday2}, {date+1}, {weekday+0}, I'm {caller_first_name}"
                    ),
                }
            ],
        }
    )
    [step] = scenario.render(
        today, caller_name="Alex Morgan", is_open=lambda d: d not in closed
    ).steps
    assert isinstance(step, Say)
    assert step.text.startswith(f"{workday} or {workday2}, ")
    assert step.text.endswith(f"{today.strftime('%A').lower()}, I'm Alex")


def test_unknown_step_or_field_is_rejected():
    with pytest.raises(ValidationError, match="'shout'"):
        Scenario.model_validate({"name": "x", "steps": [{"type": "shout", "text": "hi"}]})
    with pytest.raises(ValidationError, match=r"expect\.outcom"):
        Scenario.model_validate({"name": "x", "steps": [], "expect": {"outcom": "booked"}})


def test_wav_is_stereo_caller_left_agent_right(tmp_path):
    loud = codec.pcm16_to_mulaw(np.full(160, 12000, dtype="<i2").tobytes())
    quiet = codec.MULAW_SILENCE * 160
    result = CallResult(
        "CA1",
        "inbound",
        "+15551230001",
        "+15005550006",
        turns=[Turn("caller", "hello", 0)],
        caller_audio=loud + quiet,
        agent_audio=quiet + loud,
        duration_ms=40,
    )
    wav_path, json_path = recording.save(result, tmp_path / "call.wav")
    with wave.open(str(wav_path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert len(frames) == 320
    assert abs(frames[:160, 0]).min() > 10000 and abs(frames[:160, 1]).max() < 100
    assert abs(frames[160:, 1]).min() > 10000 and abs(frames[160:, 0]).max() < 100
    transcript = json.loads(json_path.read_text())
    assert transcript["call_sid"] == "CA1" and transcript["turns"][0]["text"] == "hello"
    assert "caller_audio" not in transcript
