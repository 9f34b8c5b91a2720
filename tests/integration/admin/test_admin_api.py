"""Every admin route, over HTTP with a token, and each refusal (no token, wrong role)."""

from __future__ import annotations

import pytest

from pitstop.models import (
    CallDirection,
    CallRecord,
    CallStatus,
    ToolCallRecord,
    TranscriptTurn,
)
from pitstop.telephony import read_outbox
from pitstop.tools import ToolContext, run_tool
from pitstop_local.signin import issue_token
from tests.integration.admin.conftest import ADVISOR, DAY, at, now

ROUTES = [
    ("GET", "/admin/calls", None),
    ("GET", "/admin/calls/CAx", None),
    ("POST", "/admin/calls/CAx/handoff", {}),
    ("POST", "/admin/calls/CAx/end", {}),
    ("GET", "/admin/appointments", None),
    ("POST", "/admin/appointments/apt_x/move", {"customer_id": "c", "start": at(DAY, 9)}),
    ("POST", "/admin/appointments/apt_x/cancel", {"customer_id": "c"}),
    ("GET", "/admin/customers?phone=5551230001", None),
    ("GET", "/admin/customers/cus_alex", None),
    ("GET", "/admin/customers?name=alex%20morgan", None),
    ("GET", "/admin/messages?status=new", None),
    ("POST", "/admin/messages/msg_x/handle", {}),
    ("GET", "/admin/settings", None),
    ("PUT", "/admin/settings", {"version": 0, "settings": {}}),
    ("GET", "/admin/settings/versions", None),
    ("POST", "/admin/settings/versions/0/rollback", {"version": 0}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_without_a_valid_token(api, method, path, body):
    assert api(method, path, body, token=None)[0] == 401
    assert api(method, path, body, token="not.a.jwt")[0] == 401


def test_a_token_outside_the_staff_groups_is_forbidden(api):
    status, body = api("GET", "/admin/calls", token=issue_token("eve@x.test", ["customers"]))
    assert status == 403 and body["error"] == "forbidden"


def _live_call(crm, sid="CAlive1", customer_id="cus_alex", direction=CallDirection.INBOUND):
    crm.calls.start(
        CallRecord(
            call_sid=sid,
            direction=direction,
            customer_number="+15551230001",
            customer_id=customer_id,
            status=CallStatus.IN_PROGRESS,
            started_at=now(),
        ),
        now(),
    )
    return sid


def test_calls_list_filters_and_detail_shows_transcript_and_tools(api, shop):
    sid = _live_call(shop)
    _live_call(shop, "CArem1", "cus_bea", CallDirection.REMINDER)
    shop.calls.add_turn(sid, 1, TranscriptTurn(role="caller", text="Hi there", at=now()))
    shop.calls.add_tool_call(
        sid,
        1,
        ToolCallRecord(
            name="lookup_customer",
            arguments={},
            result_summary="ok",
            ok=True,
            latency_ms=3,
            at=now(),
        ),
    )
    status, body = api("GET", "/admin/calls")
    assert status == 200 and {c["call_sid"] for c in body["calls"]} == {sid, "CArem1"}
    _, body = api("GET", "/admin/calls?direction=reminder")
    assert [c["call_sid"] for c in body["calls"]] == ["CArem1"]
    _, body = api("GET", "/admin/calls?customer_id=cus_alex&live=true")
    assert [c["call_sid"] for c in body["calls"]] == [sid]
    _, body = api("GET", "/admin/calls?date=2030-12-02")
    assert body["calls"] == []
    status, body = api("GET", f"/admin/calls/{sid}", token=ADVISOR)
    assert status == 200
    assert [t["text"] for t in body["transcript"]] == ["Hi there"]
    assert body["tool_calls"][0]["name"] == "lookup_customer"
    assert api("GET", "/admin/calls/CAnope")[0] == 404
    assert api("GET", "/admin/calls?direction=sideways")[0] == 422


def test_hand_to_me_redirects_the_live_call_to_the_shop(api, shop, settings):
    sid = _live_call(shop)
    status, _ = api("POST", f"/admin/calls/{sid}/handoff", {}, token=ADVISOR)
    assert status == 200
    (entry,) = [e for e in read_outbox(settings.outbox_path) if e["kind"] == "redirect"]
    assert entry["call_sid"] == sid
    assert "<Dial" in entry["twiml"] and "+15551239000" in entry["twiml"]
    record = shop.calls.get(sid)
    assert record.outcome == "handed_off" and "adam@shop.test" in record.handoff_reason


def test_end_call_hangs_up_only_a_live_call(api, shop, settings):
    sid = _live_call(shop)
    assert api("POST", f"/admin/calls/{sid}/end", {})[0] == 200
    assert [e["call_sid"] for e in read_outbox(settings.outbox_path)] == [sid]
    shop.calls.update_status(sid, CallStatus.COMPLETED, {})
    status, body = api("POST", f"/admin/calls/{sid}/end", {})
    assert status == 409 and body["error"] == "call_over"


def _book(crm, settings, context, vehicle, hh):
    from pitstop.telephony import OutboxTelephony

    phone = OutboxTelephony(settings.outbox_path, settings.from_number)
    args = {"vehicle_id": vehicle, "service_type": "oil_change", "start": at(DAY, hh)}
    result = run_tool("book_appointment", args, context, crm, phone)
    assert result["ok"], result
    return result["appointment"]


def test_board_move_and_cancel_through_the_tools(api, shop, settings):
    alex = _book(shop, settings, ToolContext(customer_id="cus_alex"), "veh_alex", 9)
    bea = _book(shop, settings, ToolContext(customer_id="cus_bea"), "veh_bea", 11)
    status, body = api("GET", f"/admin/appointments?date={DAY}", token=ADVISOR)
    assert status == 200 and {b["bay"] for b in body["bays"]} >= {alex["bay"]}
    assert {a["customer_name"] for a in body["appointments"]} == {"Alex Morgan", "Bea Chen"}

    move = f"/admin/appointments/{alex['appointment_id']}/move"
    status, body = api("POST", move, {"customer_id": "cus_alex", "start": at(DAY, 14)})
    assert status == 200 and body["appointment"]["start"].startswith(f"{DAY}T14:00")
    assert body["sms"]["sent"] is True
    assert any("2:00 PM" in e.get("body", "") for e in read_outbox(settings.outbox_path))

    cancel = f"/admin/appointments/{bea['appointment_id']}/cancel"
    assert api("POST", cancel, {"customer_id": "cus_bea"})[0] == 200
    status, body = api("POST", cancel, {"customer_id": "cus_bea"})
    assert status == 409 and body["error"] == "not_allowed"
    status, body = api("POST", cancel, {"customer_id": "cus_alex"})
    assert status == 409 and body["error"] == "not_found"  # not Alex's appointment


def test_moving_into_a_taken_slot_with_no_other_bay_is_refused(api, shop, settings):
    """Fill every capable bay at 10:00, then try to move into it: refused, nothing changes."""
    from pitstop.models import Customer, Vehicle

    held = 0
    for n in range(10):
        cid = f"cus_fill{n}"
        shop.customers.create(
            Customer(customer_id=cid, name=f"Fill {n}", phone=f"+1555888{n:04d}"),
            [
                Vehicle(
                    vehicle_id=f"veh_fill{n}", customer_id=cid, make="Kia", model="Rio", year=2020
                )
            ],
        )
        args = {"vehicle_id": f"veh_fill{n}", "service_type": "oil_change", "start": at(DAY, 10)}
        result = run_tool(
            "book_appointment", args, ToolContext(customer_id=cid), shop, _phone(settings)
        )
        held += bool(result["ok"])
        if not result["ok"]:
            break
    assert held >= 1
    alex = _book(shop, settings, ToolContext(customer_id="cus_alex"), "veh_alex", 8)
    move = f"/admin/appointments/{alex['appointment_id']}/move"
    status, body = api("POST", move, {"customer_id": "cus_alex", "start": at(DAY, 10)})
    assert status == 409 and body["error"] == "slot_taken" and body["alternatives"]
    assert shop.appointments.get("cus_alex", alex["appointment_id"]).start.hour == 8


def _phone(settings):
    from pitstop.telephony import OutboxTelephony

    return OutboxTelephony(settings.outbox_path, settings.from_number)


def test_customer_search_by_phone(api, shop):
    status, body = api("GET", "/admin/customers?phone=(555)%20123-0002", token=ADVISOR)
    assert status == 200 and [c["customer"]["name"] for c in body["customers"]] == ["Bea Chen"]
    assert api("GET", "/admin/customers?phone=5559990000")[1]["customers"] == []
    assert api("GET", "/admin/customers?phone=hello")[0] == 422
    status, body = api("GET", "/admin/customers/cus_alex")
    assert status == 200 and body["vehicles"][0]["vehicle_id"] == "veh_alex"
    assert api("GET", "/admin/customers/cus_nobody")[0] == 404


def test_a_call_answered_by_the_webhook_is_in_the_log(api, shop):
    """The webhook records inbound calls with `open_stream`; those carry the day index too."""
    record = CallRecord(
        call_sid="CAopened",
        direction=CallDirection.INBOUND,
        customer_number="+15551230002",
        status=CallStatus.RINGING,
        started_at=now(),
    )
    shop.calls.open_stream(record, now())
    _, body = api("GET", "/admin/calls?live=true")
    assert [c["call_sid"] for c in body["calls"]] == ["CAopened"]


def test_a_takeover_stays_the_outcome_when_the_bridge_then_ends_its_stream(api, shop):
    sid = "CAtaken1"
    shop.calls.start(
        CallRecord(
            call_sid=sid,
            direction=CallDirection.INBOUND,
            customer_number="+15551230001",
            status=CallStatus.IN_PROGRESS,
            started_at=now(),
            stream_token_id="tok-taken",
        ),
        now(),
    )
    assert api("POST", f"/admin/calls/{sid}/handoff", {})[0] == 200
    # The redirect closes the media stream: to the bridge, the caller hung up.
    bridge_end = {"outcome": "caller_hung_up", "handoff_reason": "", "usage": {"turns": 3}}
    assert shop.calls.finish_stream(sid, "tok-taken", bridge_end)
    record = shop.calls.get(sid)
    assert record.outcome == "handed_off"
    assert record.handoff_reason == "taken over from the console by olive@shop.test"
    assert record.usage == {"turns": 3}  # the bridge's own facts are still written


def test_without_a_takeover_the_bridge_writes_the_outcome(shop):
    shop.calls.start(
        CallRecord(
            call_sid="CAplain1",
            direction=CallDirection.INBOUND,
            customer_number="+15551230001",
            status=CallStatus.IN_PROGRESS,
            started_at=now(),
            stream_token_id="tok-plain",
        ),
        now(),
    )
    assert shop.calls.finish_stream("CAplain1", "tok-plain", {"outcome": "caller_hung_up"})
    assert shop.calls.get("CAplain1").outcome == "caller_hung_up"
