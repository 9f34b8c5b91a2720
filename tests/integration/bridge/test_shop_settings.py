"""The shop's agent settings as a call lives them (issue 14): the session carries the audio
settings, and escalation words do what the shop chose. Real WebSockets, moto."""

from __future__ import annotations

import asyncio

from pitstop.models import AgentSettings
from pitstop.voice_settings import SemanticVad
from tests.integration.bridge.conftest import SHOP_PHONE
from tests.integration.bridge.fakes import RealtimeEvents as E


async def with_settings(make_bridge, crm, **agent):
    await asyncio.to_thread(crm.shops.put_settings, AgentSettings(voice="cedar", **agent))
    return await make_bridge()


async def test_the_session_carries_turn_detection_noise_reduction_and_speed(
    make_bridge, realtime, crm, call_factory
):
    bridge = await with_settings(
        make_bridge,
        crm,
        speed=1.25,
        noise_reduction="far_field",
        turn_detection=SemanticVad(eagerness="low"),
    )
    call = await call_factory(bridge)
    audio = call.session_update["session"]["audio"]
    assert audio["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "low",
        "create_response": True,
        "interrupt_response": True,
    }
    assert audio["input"]["noise_reduction"] == {"type": "far_field"}
    assert audio["output"]["speed"] == 1.25
    assert audio["input"]["format"] == audio["output"]["format"] == {"type": "audio/pcmu"}
    # Confirmed as sent: the full session applied, no fallback to the minimal one.
    assert not [e for e in call.rt.received.items if e["type"] == "session.update"][1:]


async def test_an_escalation_word_set_to_handoff_hands_off_at_once(
    make_bridge, realtime, telephony, crm, call_factory
):
    bridge = await with_settings(make_bridge, crm, escalation_actions={"lawyer": "handoff"})
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("u1", "I am calling my Lawyer about this"))
    _, _, twiml = await telephony.wait_for("redirect", call.twilio.call_sid)
    assert SHOP_PHONE in twiml and "<Dial" in twiml
    assert not [
        e
        for e in call.rt.received.items
        if e["type"] == "conversation.item.create" and e["item"]["role"] == "system"
    ]


async def test_an_escalation_word_left_at_offer_only_hints_the_agent(
    make_bridge, realtime, telephony, crm, call_factory
):
    bridge = await with_settings(make_bridge, crm, escalation_actions={"lawyer": "handoff"})
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("u1", "I want the manager"))
    hint = await call.rt.received.take("conversation.item.create")
    assert "offer to connect" in hint["item"]["content"][0]["text"]
    assert not [c for c in telephony.calls if c[0] == "redirect"]
