"""Voice and hearing settings: refused when wrong, sent in the shape OpenAI takes."""

from __future__ import annotations

from typing import get_args

import pytest
from openai.types.realtime import RealtimeAudioConfig
from openai.types.realtime.realtime_audio_config_output import Voice
from pydantic import TypeAdapter, ValidationError

from pitstop.models import AgentSettings
from pitstop.voice_settings import VOICES, SemanticVad, ServerVad


def test_the_voice_list_is_openais_ga_list():
    literal = next(a for a in get_args(Voice) if get_args(a))
    assert set(VOICES) == set(get_args(literal))


@pytest.mark.parametrize(
    "field",
    [
        {"voice": "robot"},
        {"speed": 0.2},
        {"speed": 1.6},
        {"noise_reduction": "studio"},
        {"turn_detection": {"type": "server_vad", "threshold": 1.5}},
        {"turn_detection": {"type": "semantic_vad", "eagerness": "frantic"}},
        {"turn_detection": {"type": "push_to_talk"}},
        {"escalation_actions": {"lawyer": "sue"}},
        {"escalation_actions": {"banana": "handoff"}},
    ],
)
def test_nonsense_settings_are_refused(field):
    with pytest.raises(ValidationError):
        AgentSettings.model_validate(field)


@pytest.mark.parametrize(
    "settings",
    [
        AgentSettings(),
        AgentSettings(
            voice="cedar",
            speed=1.25,
            noise_reduction="far_field",
            turn_detection=SemanticVad(eagerness="low"),
        ),
        AgentSettings(
            noise_reduction="off",
            turn_detection=ServerVad(threshold=0.7, prefix_padding_ms=200, silence_duration_ms=800),
        ),
    ],
)
def test_session_audio_is_a_valid_realtime_audio_config(settings):
    audio = settings.session_audio()
    parsed = TypeAdapter(RealtimeAudioConfig).validate_python(audio)
    assert parsed.output.speed == settings.speed
    detection = parsed.input.turn_detection
    assert detection.type == settings.turn_detection.type
    assert detection.model_dump(exclude_none=True) == audio["input"]["turn_detection"]
    if settings.noise_reduction == "off":
        assert parsed.input.noise_reduction is None
    else:
        assert parsed.input.noise_reduction.type == settings.noise_reduction


def test_a_stored_settings_item_round_trips():
    settings = AgentSettings(
        turn_detection=SemanticVad(eagerness="high"), escalation_actions={"Lawyer": "handoff"}
    )
    again = AgentSettings.model_validate(settings.model_dump(mode="json"))
    assert again == settings
    assert again.escalation_action("LAWYER") == "handoff"
    assert again.escalation_action("manager") == "offer"


def test_prohibited_phrases_default_to_the_shops_domain():
    phrases = " | ".join(AgentSettings().prohibited_phrases).lower()
    for topic in ("guaranteed", "definitely", "insurance", "cost"):
        assert topic in phrases
