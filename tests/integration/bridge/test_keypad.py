"""The keypad (issue 14): digits reach the model as one entry, ended by `#` or a pause; a lone
`0` is a request for a person when the shop enables it. Real WebSockets, moto."""

from __future__ import annotations

import asyncio

from pitstop.models import AgentSettings
from tests.integration.bridge.conftest import SHOP_PHONE
from tests.integration.bridge.fakes import RealtimeEvents as E
from tests.integration.bridge.fakes import ulaw_frame

PAUSE = 0.3  # the test's keypad pause (the default is 2 s)


def user_items(call) -> list[str]:
    return [
        e["item"]["content"][0]["text"]
        for e in call.rt.received.items
        if e["type"] == "conversation.item.create" and e["item"]["role"] == "user"
    ]


async def press(call, keys: str) -> None:
    for key in keys:
        await call.twilio.dtmf(key)


async def test_a_phone_number_ended_by_hash_reaches_the_model_as_one_entry(
    make_bridge, realtime, call_factory
):
    bridge = await make_bridge(keypad_pause=30.0)  # only `#` can end it within the test
    call = await call_factory(bridge)
    await press(call, "5551234567#")
    item = await call.rt.received.take("conversation.item.create")
    assert item["item"]["content"][0]["text"] == (
        "[The caller entered 5 5 5 1 2 3 4 5 6 7 on the keypad]"
    )
    await call.rt.received.take("response.create")
    assert len(user_items(call)) == 1


async def test_a_mileage_ended_by_a_pause_reaches_the_model_as_one_entry(
    make_bridge, realtime, telephony, call_factory
):
    bridge = await make_bridge(keypad_pause=PAUSE)
    call = await call_factory(bridge)
    await press(call, "45000")
    item = await call.rt.received.take("conversation.item.create")
    assert item["item"]["content"][0]["text"] == "[The caller entered 4 5 0 0 0 on the keypad]"
    await call.rt.received.take("response.create")
    assert len(user_items(call)) == 1
    assert not [c for c in telephony.calls if c[0] == "redirect"]  # its zeros are digits


async def test_a_lone_zero_asks_for_a_person(make_bridge, realtime, telephony, call_factory):
    bridge = await make_bridge(keypad_pause=PAUSE)
    call = await call_factory(bridge)
    await press(call, "0")
    _, _, twiml = await telephony.wait_for("redirect", call.twilio.call_sid)
    assert SHOP_PHONE in twiml
    assert user_items(call) == []


async def test_a_lone_zero_is_an_entry_when_the_shop_turns_that_off(
    make_bridge, realtime, telephony, crm, call_factory
):
    await asyncio.to_thread(
        crm.shops.put_settings, AgentSettings(voice="cedar", zero_for_person=False)
    )
    bridge = await make_bridge(keypad_pause=PAUSE)
    call = await call_factory(bridge)
    await press(call, "0#")
    item = await call.rt.received.take("conversation.item.create")
    assert item["item"]["content"][0]["text"] == "[The caller entered 0 on the keypad]"
    assert not [c for c in telephony.calls if c[0] == "redirect"]


async def test_the_first_key_interrupts_the_agent_once(make_bridge, realtime, call_factory):
    bridge = await make_bridge(keypad_pause=30.0)
    call = await call_factory(bridge)
    await call.rt.send(E.response_created("resp_a"))
    await call.rt.send(E.audio_delta("resp_a", "item_a", ulaw_frame(1)))
    await call.twilio.received.take("media")
    await press(call, "12")
    await call.twilio.received.take("clear")
    await call.rt.received.take("conversation.item.truncate")
    await press(call, "#")
    item = await call.rt.received.take("conversation.item.create")
    assert "entered 1 2 on" in item["item"]["content"][0]["text"]
    assert len(call.twilio.received.of("clear")) == 1
