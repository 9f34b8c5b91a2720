"""Every event the bridge builds is valid for the Realtime GA API (openai.types.realtime)."""

from __future__ import annotations

import json

import pytest

from media_bridge import realtime_side as rt
from media_bridge.config import BridgeOptions
from media_bridge.realtime_events import EchoSession
from media_bridge.session_setup import mismatches
from pitstop.models import AgentSettings
from pitstop.voice_settings import SemanticVad
from pitstop_local.realtime_contract import ProtocolViolation, validate_client_event

TOOLS = [
    {
        "type": "function",
        "name": "end_call",
        "description": "Hang up.",
        "parameters": {"type": "object", "properties": {}},
    }
]


def test_session_update_is_a_valid_ga_realtime_session_with_pcmu_both_ways():
    event = rt.session_update(
        instructions="You are an AI assistant.",
        tools=TOOLS,
        voice="marin",
        language="en",
        transcription_model="gpt-4o-transcribe",
        audio=AgentSettings().session_audio(),
    )
    parsed = validate_client_event(event)
    assert parsed.session.type == "realtime"
    assert parsed.session.audio.input.format.type == "audio/pcmu"
    assert parsed.session.audio.output.format.type == "audio/pcmu"
    assert parsed.session.audio.input.turn_detection.type == "server_vad"
    assert parsed.session.audio.input.transcription.model == "gpt-4o-transcribe"
    assert parsed.session.tools[0].name == "end_call"


SHOP_AUDIO = AgentSettings(
    speed=1.2, noise_reduction="far_field", turn_detection=SemanticVad(eagerness="high")
)


def _shop_session() -> dict:
    return rt.session_update(
        instructions="You are an AI assistant.",
        tools=TOOLS,
        voice="marin",
        language="en",
        transcription_model="gpt-4o-transcribe",
        audio=SHOP_AUDIO.session_audio(),
    )


def test_the_shop_audio_settings_are_sent_as_ga_session_fields():
    parsed = validate_client_event(_shop_session()).session.audio
    assert parsed.input.turn_detection.type == "semantic_vad"
    assert parsed.input.turn_detection.eagerness == "high"
    assert parsed.input.noise_reduction.type == "far_field"
    assert parsed.output.speed == 1.2
    assert parsed.input.format.type == parsed.output.format.type == "audio/pcmu"


@pytest.mark.parametrize(
    ("side", "field", "applied"),
    [
        ("output", "speed", None),
        ("input", "noise_reduction", {"type": "near_field"}),
        ("input", "turn_detection", {"type": "server_vad"}),
    ],
)
def test_an_echo_that_drops_a_shop_audio_setting_is_a_mismatch(side, field, applied):
    asked = _shop_session()
    echo = json.loads(json.dumps(asked["session"]))
    assert mismatches(asked, EchoSession.model_validate(echo)) == []
    echo["audio"][side][field] = applied
    assert mismatches(asked, EchoSession.model_validate(echo)) != []


@pytest.mark.parametrize(
    "event",
    [
        rt.response_create(),
        rt.response_create("Say goodbye."),
        rt.response_cancel(),
        rt.truncate("item_1", 120),
        rt.function_output("call_1", {"ok": True, "n": "é"}),
        rt.message("user", "[caller pressed 0]"),
        rt.message("assistant", "Hello"),
        rt.message("system", "Offer a person."),
    ],
)
def test_client_events_validate(event):
    validate_client_event(event)


def test_the_append_built_by_concatenation_is_the_same_event_json_would_build():
    payload = b"AAEC/+8="
    event = json.loads(rt.APPEND_HEAD + payload + rt.APPEND_TAIL)
    assert event == {"type": "input_audio_buffer.append", "audio": payload.decode()}
    validate_client_event(event)


def test_the_contract_catches_a_bad_event():
    with pytest.raises(ProtocolViolation):
        validate_client_event({"type": "conversation.item.truncate", "item_id": "x"})


def test_realtime_url_sets_the_model_and_keeps_other_query():
    assert (
        rt.realtime_url("wss://api.openai.com/v1/realtime", "gpt-realtime")
        == "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    )
    assert rt.realtime_url("ws://h:1/rt?model=x&k=v", "m") == "ws://h:1/rt?k=v&model=m"


def test_options_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PITSTOP_BRIDGE_DRAIN_SECONDS", "12.5")
    monkeypatch.setenv("PITSTOP_BRIDGE_RECONNECT_TRIES", "5")
    options = BridgeOptions()
    assert options.drain_seconds == 12.5 and options.reconnect_tries == 5
