"""`POST /admin/test-calls` over real HTTP (the JWT check as API Gateway does it, moto), and the
stream it grants at the real bridge over real WebSockets: staff only, single use, short-lived,
bound to the asker's session; no Twilio for a test call's hang-up, handoff or texts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from pitstop.admin.test_calls import StaffSession, TestCallRequest, start_test_call
from pitstop.models import CallStatus
from pitstop.telephony import read_outbox
from pitstop.tools.context import ToolContext
from pitstop.tools.registry import run_tool
from pitstop_local.signin import issue_token
from tests.integration.admin.conftest import ADVISOR, now
from tests.integration.bridge.conftest import (
    ALWAYS_OPEN,
    STREAM_KEY,
    make_bridge,
    realtime,
    telephony,
)
from tests.integration.bridge.fakes import FakeTwilio, ulaw_frame
from tests.integration.bridge.fakes import RealtimeEvents as E

__all__ = ["make_bridge", "realtime", "telephony"]  # the bridge's fixtures, used here


@pytest.fixture
def api(api, monkeypatch):
    """The admin API, signing stream tokens with the key the test bridge checks them with."""
    monkeypatch.setenv("PITSTOP_STREAM_TOKEN_KEY", STREAM_KEY)
    return api


def _stream(bridge, granted: dict) -> FakeTwilio:
    """The browser's phone, as the test-call page opens it from the API's answer."""
    start = granted["start"]
    params = start["customParameters"]
    twilio = FakeTwilio(bridge.url, call_sid=start["callSid"], token=params["token"])
    twilio.params = params
    twilio.stream_sid = start["streamSid"]
    return twilio


def test_only_signed_in_staff_may_place_a_test_call(api):
    assert api("POST", "/admin/test-calls", {"new_caller": True}, token=None)[0] == 401
    outsider = issue_token("guest@shop.test", [])
    status, body = api("POST", "/admin/test-calls", {"new_caller": True}, token=outsider)
    assert (status, body["error"]) == (403, "forbidden")


def test_a_test_call_is_recorded_as_one_bound_to_the_asker_and_in_the_call_log(api, crm):
    status, granted = api("POST", "/admin/test-calls", {"customer_id": "cus_alex"}, token=ADVISOR)
    assert status == 201, granted
    start = granted["start"]
    params = start["customParameters"]
    assert params["direction"] == "test" and params["customer_id"] == "cus_alex"
    assert start["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    assert granted["bridge_url"] == crm.settings.bridge_url
    assert granted["expires"] - now().timestamp() <= 60
    record = crm.calls.get(granted["call_sid"])
    assert record.direction == "test" and record.customer_number == "+15551230001"
    assert record.test_staff == "adam@shop.test" and record.test_session
    assert record.stream_token_id == params["token"].split(".")[1]
    listed = api("GET", "/admin/calls?direction=test")[1]["calls"]
    assert [c["call_sid"] for c in listed] == [granted["call_sid"]]


def test_a_new_caller_gets_a_number_nobody_owns(api, crm):
    status, granted = api("POST", "/admin/test-calls", {"new_caller": True})
    assert status == 201
    assert granted["customer_id"] is None
    assert crm.customers.id_for_phone(granted["customer_number"]) is None
    assert granted["customer_number"][5:10] == "55501"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 422),
        ({"customer_id": "cus_alex", "new_caller": True}, 422),
        ({"customer_id": "x"}, 404),
    ],
)
def test_who_is_calling_must_be_one_known_customer_or_a_new_caller(api, body, status):
    assert api("POST", "/admin/test-calls", body)[0] == status


async def test_the_token_opens_the_bridge_once_and_a_second_use_is_refused(
    api, make_bridge, realtime, crm
):
    bridge = await make_bridge()
    granted = (await asyncio.to_thread(api, "POST", "/admin/test-calls", {"new_caller": True}))[1]
    phone = await _stream(bridge, granted).open()
    connection = await realtime.next_connection()
    await connection.received.take("session.update")
    record = await asyncio.to_thread(crm.calls.get, granted["call_sid"])
    assert record.status == CallStatus.IN_PROGRESS
    second = await _stream(bridge, granted).open()
    assert await second.wait_closed() == 1008
    await phone.stop()
    await bridge.wait_call_finished(granted["call_sid"])
    record = await asyncio.to_thread(crm.calls.get, granted["call_sid"])
    # No Twilio status callback will come: the bridge completed the record itself.
    assert record.status == CallStatus.COMPLETED and record.ended_at is not None
    replay = await _stream(bridge, granted).open()
    assert await replay.wait_closed() == 1008
    assert len(realtime.all) == 1


async def test_an_expired_token_is_refused_by_the_bridge(shop, make_bridge, realtime, crm):
    bridge = await make_bridge()
    asker = StaffSession(staff="olive@shop.test", session="s1")
    request = TestCallRequest(new_caller=True)
    grant, token = start_test_call(crm, request, asker, now() - timedelta(minutes=2), STREAM_KEY)
    phone = FakeTwilio(bridge.url, call_sid=grant.call_sid, token=token, direction="test")
    await phone.open()
    assert await phone.wait_closed() == 1008
    assert realtime.all == []


async def _test_call(api, bridge, realtime):
    granted = (await asyncio.to_thread(api, "POST", "/admin/test-calls", {"new_caller": True}))[1]
    phone = await _stream(bridge, granted).open()
    rt = await realtime.next_connection()
    await rt.received.take("session.update")
    await rt.received.take("response.create")
    await rt.next_response()
    await rt.finish()
    return granted["call_sid"], phone, rt


async def test_a_test_call_hangs_up_by_closing_the_stream_not_through_twilio(
    api, make_bridge, realtime, telephony
):
    bridge = await make_bridge()
    call_sid, phone, rt = await _test_call(api, bridge, realtime)
    await rt.send(E.response_created("resp_e"))
    await rt.send(E.audio_delta("resp_e", "item_e", ulaw_frame(1)))  # the goodbye
    await phone.received.take("media")
    mark = (await phone.received.take("mark"))["mark"]["name"]
    await rt.send(E.function_call_done("resp_e", "c1", "end_call", {}))
    await rt.send(E.response_done("resp_e"))
    await phone.ack_mark(mark)  # the goodbye has played: the bridge closes the stream
    assert await phone.wait_closed() is not None
    await bridge.wait_call_finished(call_sid)
    assert telephony.calls == []


async def test_a_test_call_handoff_is_recorded_said_and_ended_without_twilio(
    api, make_bridge, realtime, telephony, crm
):
    shop = crm.shops.catalog().shop  # open around the clock: a handoff, whatever the hour
    crm.shops.put_shop(shop.model_copy(update={"opening_hours": ALWAYS_OPEN}))
    bridge = await make_bridge()
    call_sid, phone, rt = await _test_call(api, bridge, realtime)
    await rt.send(E.response_created("resp_h"))
    await rt.send(
        E.function_call_done("resp_h", "c1", "request_operator_handoff", {"reason": "a person"})
    )
    await rt.send(E.response_done("resp_h"))
    said = await rt.received.take("response.create")
    assert "would now transfer" in said["response"]["instructions"]
    await rt.next_response()
    await rt.finish()
    assert await phone.wait_closed() is not None
    await bridge.wait_call_finished(call_sid)
    record = await asyncio.to_thread(crm.calls.get, call_sid)
    assert record.outcome == "handed_off" and record.handoff_reason == "a person"
    assert telephony.calls == []


def test_a_test_calls_texts_are_held_on_its_record_never_sent(api, crm):
    granted = api("POST", "/admin/test-calls", {"new_caller": True})[1]
    context = ToolContext(
        call_sid=granted["call_sid"], customer_number=granted["customer_number"], direction="test"
    )
    asked = []  # the process's telephony (Twilio in AWS): a test call must not touch it

    class Refusing:
        def __getattr__(self, name):
            asked.append(name)
            raise AssertionError(f"a test call used the real telephony ({name})")

    arguments = {"name": "Alex Morgan", "send_code": True}  # texts Alex's phone on a real call
    result = run_tool("verify_customer", arguments, context, crm, Refusing())
    assert asked == [] and result.get("ok", True), result
    record = crm.calls.get(granted["call_sid"])
    assert [t.to for t in record.held_texts] == ["+15551230001"]
    assert "verification code" in record.held_texts[0].body
    assert read_outbox(crm.settings.outbox_path) == []
