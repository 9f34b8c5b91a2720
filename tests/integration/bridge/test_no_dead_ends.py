"""Handoffs that land (issue 12), over real WebSockets: fake Twilio ⇄ bridge ⇄ fake Realtime.

Inside opening hours the live call is redirected to a `<Dial action>` with a whisper, to the
numbers in the settings; after hours nobody is rung and the agent offers a message or booking.
"""

from __future__ import annotations

import asyncio

from pitstop.handoff import (
    AFTER_HOURS_INSTRUCTION,
    DIAL_ENDED_PATH,
    UNANSWERED_INSTRUCTION,
    WHISPER_PATH,
)
from pitstop.models import AgentSettings
from pitstop.stream_token import issue_token, new_grant
from tests.integration.bridge.conftest import STREAM_KEY, put_shop
from tests.integration.bridge.fakes import FakeTwilio
from tests.integration.bridge.fakes import RealtimeEvents as E

ADVISOR_LINE = "+15550002222"


def call_page(bridge, call_sid: str) -> str:
    """The call's page in the console (its hash route), as the record links it."""
    return f"{bridge.runtime.settings.console_url.rstrip('/')}/#/calls/{call_sid}"


async def ask_for_person(call) -> None:
    """The model calls the handoff tool in a response of its own."""
    await call.rt.send(E.response_created("resp_h"))
    await call.rt.send(
        E.function_call_done("resp_h", "c1", "request_operator_handoff", {"reason": "a person"})
    )
    await call.rt.send(E.response_done("resp_h"))
    await call.rt.received.take(lambda e: e["type"] == "conversation.item.create")


async def test_inside_hours_the_redirect_dials_the_settings_numbers_with_action_and_whisper(
    make_bridge, realtime, telephony, crm, call_factory
):
    await asyncio.to_thread(
        crm.shops.put_settings, AgentSettings(voice="cedar", handoff_numbers=[ADVISOR_LINE])
    )
    bridge = await make_bridge()
    call = await call_factory(bridge)
    await ask_for_person(call)
    _, _, twiml = await telephony.wait_for("redirect", call.twilio.call_sid)
    public = bridge.runtime.settings.public_url.rstrip("/")
    assert f'action="{public}{DIAL_ENDED_PATH}?attempt=0"' in twiml
    assert f'url="{public}{WHISPER_PATH}?call={call.twilio.call_sid}"' in twiml
    assert f">{ADVISOR_LINE}</Number>" in twiml  # the settings' number, not the shop's line
    record = await asyncio.to_thread(crm.calls.get, call.twilio.call_sid)
    assert record.transcript_url == call_page(bridge, call.twilio.call_sid)  # before the dial


async def test_after_hours_nobody_is_rung_and_the_agent_offers_a_message(
    bridge, realtime, telephony, crm, call_factory
):
    await asyncio.to_thread(put_shop, crm, {})  # closed every day
    call = await call_factory(bridge)
    await ask_for_person(call)
    after_hours = await call.rt.received.take("response.create")
    assert AFTER_HOURS_INSTRUCTION in after_hours["response"]["instructions"]
    assert "Test Garage" in after_hours["response"]["instructions"]  # the session's, kept
    await call.rt.next_response()
    await call.rt.finish()
    assert not [c for c in telephony.calls if c[0] in ("redirect", "end_call")]
    assert bridge.live_calls == 1  # the call carries on with the agent
    await call.twilio.close()
    async with asyncio.timeout(5):
        await bridge.wait_call_finished(call.twilio.call_sid)
    record = await asyncio.to_thread(crm.calls.get, call.twilio.call_sid)
    assert record.handoff_reason == "after hours: a person"  # the record says which path
    assert record.transcript_url == call_page(bridge, call.twilio.call_sid)


async def test_realtime_down_after_hours_leaves_the_call_to_the_webhook_rescue(
    bridge, realtime, telephony, crm
):
    await asyncio.to_thread(put_shop, crm, {})
    realtime.refuse = 6  # both models, every attempt
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY, calls=crm.calls).open()
    await twilio.wait_closed()
    async with asyncio.timeout(5):
        await bridge.wait_call_finished(twilio.call_sid)
    assert not [c for c in telephony.calls if c[0] in ("redirect", "end_call")]
    record = await asyncio.to_thread(crm.calls.get, twilio.call_sid)
    assert not record.ended_by_bridge  # so `<Connect action>` takes a message


async def test_a_resumed_stream_opens_with_the_conversation_and_nobody_could_pick_up(
    bridge, realtime, telephony, crm, call_factory
):
    call = await call_factory(bridge)
    sid = call.twilio.call_sid
    await call.rt.send(E.caller_transcript("u1", "I need a person"))
    await call.rt.send(E.agent_transcript("r1", "a1", "Let me connect you."))
    await ask_for_person(call)
    await telephony.wait_for("redirect", sid)
    await call.twilio.stop()
    async with asyncio.timeout(5):
        await bridge.wait_call_finished(sid)

    # The `<Dial action>` route heard "no-answer" and streams the call to the agent again.
    grant = new_grant()
    await asyncio.to_thread(
        crm.calls.regrant_stream, sid, grant.token_id, grant.expires, "handoff_unanswered"
    )
    token = issue_token(sid, "inbound", STREAM_KEY, grant=grant)
    again = await FakeTwilio(bridge.url, call_sid=sid, token=token).open()
    rt = await realtime.next_connection()
    history = [
        await rt.received.take("conversation.item.create"),
        await rt.received.take("conversation.item.create"),
    ]
    assert [(e["item"]["role"], e["item"]["content"][0]["text"]) for e in history] == [
        ("user", "I need a person"),
        ("assistant", "Let me connect you."),
    ]
    opening = await rt.received.take("response.create")
    assert UNANSWERED_INSTRUCTION in opening["response"]["instructions"]
    assert "do not greet" in opening["response"]["instructions"]
    await rt.next_response()
    await rt.finish()
    await again.close()
