"""Issue 13 at the bridge: it trusts only what it signed and recorded, records are never
overwritten, and no frame or flood of sockets takes a call down. Real WebSockets, moto."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from pitstop.models import CallStatus, Customer, Vehicle
from pitstop.stream_token import issue_token, new_grant
from tests.integration.bridge.conftest import CUSTOMER, STREAM_KEY
from tests.integration.bridge.fakes import FakeTwilio, ulaw_frame
from tests.integration.bridge.fakes import RealtimeEvents as E

OTHER = Customer(customer_id="cus_other0001", name="Jamie Rivera", phone="+15551239999")


async def finished(bridge, call_sid: str) -> None:
    async with asyncio.timeout(5):
        await bridge.wait_call_finished(call_sid)


async def test_an_edited_customer_id_briefs_the_agent_with_the_recorded_customer(
    bridge, realtime, crm
):
    vehicle = Vehicle(
        vehicle_id="veh_other01",
        customer_id=OTHER.customer_id,
        make="Tesla",
        model="Model 3",
        year=2022,
    )
    await asyncio.to_thread(crm.customers.create, OTHER, [vehicle])
    twilio = FakeTwilio(
        bridge.url, key=STREAM_KEY, calls=crm.calls, customer_id=CUSTOMER.customer_id
    )
    twilio.params["customer_id"] = OTHER.customer_id  # edited after the webhook signed it
    twilio.params["customer_number"] = OTHER.phone
    await twilio.open()
    update = await (await realtime.next_connection()).received.take("session.update")
    instructions = update["session"]["instructions"]
    assert "Alex Morgan" in instructions
    assert "Jamie Rivera" not in instructions and "Tesla" not in instructions
    await twilio.close()


async def test_a_token_is_single_use_and_dies_with_its_call(bridge, realtime, crm, call_factory):
    call = await call_factory(bridge)
    sid, token = call.twilio.call_sid, call.twilio.params["token"]
    # A second stream while the first is live: refused, and the first call carries on.
    second = await FakeTwilio(bridge.url, call_sid=sid, token=token).open()
    assert await second.wait_closed() == 1008
    await call.twilio.media(ulaw_frame(1))
    await call.rt.received.take("input_audio_buffer.append")
    await call.twilio.stop()
    await finished(bridge, sid)
    # The same token after its call ended: refused.
    replay = await FakeTwilio(bridge.url, call_sid=sid, token=token).open()
    assert await replay.wait_closed() == 1008
    assert len(realtime.all) == 1


async def test_an_unused_token_is_refused_once_its_call_is_over(bridge, realtime, crm):
    twilio = FakeTwilio(bridge.url, key=STREAM_KEY, calls=crm.calls)
    await asyncio.to_thread(crm.calls.update_status, twilio.call_sid, CallStatus.COMPLETED, {})
    await twilio.open()
    assert await twilio.wait_closed() == 1008
    assert realtime.all == []


async def test_a_resumed_stream_adds_to_the_record_and_a_stale_one_rewrites_nothing(
    bridge, realtime, telephony, crm, call_factory
):
    call = await call_factory(bridge)
    sid = call.twilio.call_sid
    first_token = call.twilio.params["token"].split(".")[1]
    await call.rt.send(E.caller_transcript("u1", "I need a person"))
    await call.rt.send(E.agent_transcript("r1", "a1", "Let me connect you."))
    await next(iter(bridge.streams)).handoff("wants a person", wait_audio=False)
    await telephony.wait_for("redirect", sid)
    await call.twilio.stop()
    await finished(bridge, sid)
    record = await asyncio.to_thread(crm.calls.get, sid)
    assert record.outcome == "handed_off" and record.ended_by_bridge
    assert record.ended_at is None  # handed off, not over: nobody may pick up

    # Nobody picked up: the webhook grants the call a second stream, back to the agent.
    grant = new_grant()
    renewed = await asyncio.to_thread(
        crm.calls.regrant_stream, sid, grant.token_id, grant.expires, "handoff_unanswered"
    )
    assert renewed is not None
    token = issue_token(sid, "inbound", STREAM_KEY, grant=grant)
    again = await FakeTwilio(bridge.url, call_sid=sid, token=token).open()
    rt = await realtime.next_connection()
    await rt.received.take("response.create")
    await rt.next_response()
    await rt.finish()
    await rt.send(E.caller_transcript("u2", "Then take a message please"))
    await again.stop()
    await finished(bridge, sid)

    turns = await asyncio.to_thread(crm.calls.transcript, sid)
    assert [t.text for t in turns] == [
        "I need a person",
        "Let me connect you.",
        "Then take a message please",
    ]
    record = await asyncio.to_thread(crm.calls.get, sid)
    assert record.outcome == "caller_hung_up" and record.ended_at is not None
    # The first stream's grant is spent: its finish can no longer rewrite the record.
    stale = {"outcome": "completed", "ended_at": "2000-01-01T00:00:00+00:00"}
    assert not await asyncio.to_thread(crm.calls.finish_stream, sid, first_token, stale)
    assert not await asyncio.to_thread(crm.calls.finish_stream, sid, grant.token_id, stale)
    final = await asyncio.to_thread(crm.calls.get, sid)
    assert final.outcome == "caller_hung_up" and final.ended_at == record.ended_at


@pytest.mark.parametrize("name", ["m" + "9" * 5000, "m\u00b2"])
async def test_a_mark_that_is_not_ours_never_ends_the_call(bridge, realtime, call_factory, name):
    call = await call_factory(bridge)
    await call.twilio.ack_mark(name)
    await call.twilio.media(ulaw_frame(1))
    await call.rt.received.take("input_audio_buffer.append")
    assert bridge.live_calls == 1 and not call.twilio.closed.is_set()


async def test_sockets_that_never_start_are_capped_and_refused_with_503(make_bridge, realtime, crm):
    bridge = await make_bridge(max_pending=2)
    idle = [await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False) for _ in range(2)]
    with pytest.raises(InvalidStatus) as refused:
        await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False)
    assert refused.value.response.status_code == 503
    await idle[0].close()
    async with asyncio.timeout(5):
        await bridge.wait_live_calls(1)
    # Room again: a real call gets in.
    call = await FakeTwilio(bridge.url, key=STREAM_KEY, calls=crm.calls).open()
    await (await realtime.next_connection()).received.take("session.update")
    await call.close()
    await idle[1].close()


async def test_streams_per_process_are_capped(make_bridge, realtime, crm, call_factory):
    bridge = await make_bridge(max_streams=1)
    call = await call_factory(bridge)
    with pytest.raises(InvalidStatus) as refused:
        await FakeTwilio(bridge.url, key=STREAM_KEY, calls=crm.calls).open()
    assert refused.value.response.status_code == 503
    assert bridge.live_calls == 1
    await call.twilio.close()
