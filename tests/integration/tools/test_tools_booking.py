"""Booking, moving and cancelling through `run_tool` against moto's DynamoDB over HTTP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from pitstop.dal import keys
from pitstop.models import AppointmentStatus
from pitstop.telephony import read_outbox

from .conftest import ALEX, BEA, MONDAY, assert_consistent, at, table_items

TUESDAY = MONDAY + timedelta(days=1)


def _race(calls):
    """Run the callables at the same moment (a barrier, not sleeps) and return their results."""
    barrier = threading.Barrier(len(calls))

    def go(fn):
        barrier.wait()
        return fn()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(go, calls))


def test_availability_then_booking_then_upcoming(tool):
    found = tool(
        "check_availability",
        {
            "service_type": "oil change",
            "preferred_date": MONDAY.isoformat(),
            "preferred_time_of_day": "morning",
        },
    )
    assert found["ok"] and len(found["slots"]) == 3
    slot = found["slots"][0]
    assert slot["start"] == at(MONDAY, 8) and slot["spoken"] == "Monday, December 2 at 8:00 AM"
    booked = tool(
        "book_appointment",
        {
            "vehicle_id": "veh_alex",
            "service_type": "oil_change",
            "start": slot["start"],
            "bay": slot["bay"],
        },
    )
    assert booked["ok"], booked
    appt = booked["appointment"]
    assert (appt["start"], appt["bay"], appt["vehicle"]["label"]) == (
        at(MONDAY, 8),
        "bay1",
        "2019 Toyota Camry",
    )
    upcoming = tool("get_upcoming_appointments", {})
    assert [a["appointment_id"] for a in upcoming["appointments"]] == [appt["appointment_id"]]
    looked = tool("lookup_customer", {})
    assert looked["next_appointment"]["appointment_id"] == appt["appointment_id"]
    assert_consistent(_crm(tool))


def _crm(tool):
    # the `shop` fixture's Crm, reached through the tool fixture's closure
    for cell in tool.__closure__:
        if hasattr(cell.cell_contents, "appointments"):
            return cell.cell_contents
    raise AssertionError("no crm")


def test_naive_start_is_shop_time(tool):
    booked = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "oil change", "start": f"{MONDAY}T09:00:00"},
    )
    assert booked["appointment"]["start"] == at(MONDAY, 9)


def test_fifty_way_race_for_one_slot_has_exactly_one_winner(tool, customers):
    racers = customers(50)
    args = {"service_type": "wheel_alignment", "start": at(MONDAY, 10)}  # one alignment rack: bay5
    results = _race(
        [lambda c=c, v=v: tool("book_appointment", {**args, "vehicle_id": v}, c) for c, v in racers]
    )
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1
    assert len(losers) == 49 and {r["error"] for r in losers} == {"slot_taken"}
    assert all(
        r["alternatives"] and r["alternatives"][0]["start"] != at(MONDAY, 10) for r in losers
    )
    assert_consistent(_crm(tool))


def test_race_with_five_capable_bays_fills_each_bay_once(tool, customers):
    racers = customers(20)
    args = {"service_type": "oil_change", "start": at(MONDAY, 11)}
    results = _race(
        [lambda c=c, v=v: tool("book_appointment", {**args, "vehicle_id": v}, c) for c, v in racers]
    )
    bays = sorted(r["appointment"]["bay"] for r in results if r["ok"])
    assert bays == ["bay1", "bay2", "bay3", "bay4", "bay5"]
    assert sum(1 for r in results if not r["ok"] and r["error"] == "slot_taken") == 15
    assert_consistent(_crm(tool))


def test_requested_bay_taken_falls_back_to_another_capable_bay(tool):
    first = tool(
        "book_appointment",
        {
            "vehicle_id": "veh_bea",
            "service_type": "brake service",
            "start": at(MONDAY, 9),
            "bay": "bay3",
        },
        BEA,
    )
    assert first["appointment"]["bay"] == "bay3"
    second = tool(
        "book_appointment",
        {
            "vehicle_id": "veh_alex",
            "service_type": "brake service",
            "start": at(MONDAY, 9, 30),
            "bay": "bay3",
        },
    )
    assert (
        second["ok"] and second["appointment"]["bay"] == "bay4"
    )  # bay3 overlaps; bay4 is equipped


def test_slot_taken_offers_the_nearest_alternatives(tool):
    assert tool(
        "book_appointment",
        {"vehicle_id": "veh_bea", "service_type": "ac_service", "start": at(MONDAY, 14)},
        BEA,
    )["ok"]
    refused = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "ac_service", "start": at(MONDAY, 14, 30)},
    )
    assert refused["ok"] is False and refused["error"] == "slot_taken"
    assert [a["start"] for a in refused["alternatives"]] == [
        at(MONDAY, 15),
        at(MONDAY, 15, 30),
        at(MONDAY, 13),
    ]
    assert "Monday, December 2 at 3:00 PM" in refused["message"]


def test_domain_refusals(tool):
    holiday = date(2030, 12, 25)
    sunday = MONDAY - timedelta(days=1)
    cases = [
        ({"start": f"{holiday}T09:00"}, "shop_closed"),
        ({"start": f"{sunday + timedelta(days=7)}T09:00"}, "shop_closed"),
        ({"start": f"{MONDAY}T17:45"}, "outside_opening_hours"),
        ({"start": f"{MONDAY}T07:30"}, "outside_opening_hours"),
        ({"start": f"{MONDAY}T09:10"}, "invalid_time"),
        ({"start": f"{MONDAY - timedelta(days=3)}T09:00"}, "in_the_past"),
        ({"service_type": "teleportation"}, "unknown_service"),
        ({"vehicle_id": "veh_bea"}, "not_found"),  # Bea's car, Alex calling
    ]
    for override, error in cases:
        args = {
            "vehicle_id": "veh_alex",
            "service_type": "oil change",
            "start": f"{MONDAY}T09:00",
            **override,
        }
        result = tool("book_appointment", args)
        assert (result["ok"], result["error"]) == (False, error), (override, result)
        assert result["message"]
    # a 60-minute alignment may not start at 17:30 (closes 18:00)
    late = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "alignment", "start": at(MONDAY, 17, 30)},
    )
    assert late["error"] == "outside_opening_hours"
    assert not [i for i in table_items(_crm(tool)) if i[keys.PK].startswith(keys.SLOTS)]


def test_availability_refusals_and_holiday(tool):
    past = tool("check_availability", {"service_type": "oil", "preferred_date": "2030-11-01"})
    assert past["error"] == "in_the_past"
    unknown = tool(
        "check_availability", {"service_type": "spaceship polish", "preferred_date": str(MONDAY)}
    )
    assert unknown["error"] == "unknown_service" and "oil_change" in unknown["services"]
    christmas = tool("check_availability", {"service_type": "oil", "preferred_date": "2030-12-25"})
    assert christmas["slots"][0]["start"] == at(date(2030, 12, 26), 8)
    assert christmas["message"].startswith("Wednesday, December 25 is a holiday.")


def test_cancel_frees_the_slot(tool):
    booked = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "alignment", "start": at(MONDAY, 10)},
    )
    apt = booked["appointment"]["appointment_id"]
    assert (
        tool(
            "book_appointment",
            {"vehicle_id": "veh_bea", "service_type": "alignment", "start": at(MONDAY, 10)},
            BEA,
        )["error"]
        == "slot_taken"
    )
    cancelled = tool("cancel_appointment", {"appointment_id": apt, "reason": "car sold"})
    assert cancelled["ok"] and cancelled["appointment"]["status"] == "cancelled"
    assert tool(
        "book_appointment",
        {"vehicle_id": "veh_bea", "service_type": "alignment", "start": at(MONDAY, 10)},
        BEA,
    )["ok"]
    again = tool("cancel_appointment", {"appointment_id": apt})
    assert again["error"] == "not_allowed"
    assert tool("get_upcoming_appointments", {})["appointments"] == []
    assert_consistent(_crm(tool))


def test_another_customers_appointment_is_not_found_and_unchanged(tool):
    bea = tool(
        "book_appointment",
        {"vehicle_id": "veh_bea", "service_type": "oil", "start": at(MONDAY, 9)},
        BEA,
    )
    apt = bea["appointment"]["appointment_id"]
    before = sorted(map(str, table_items(_crm(tool))))
    for name, args in [
        ("cancel_appointment", {"appointment_id": apt}),
        ("confirm_appointment", {"appointment_id": apt}),
        ("reschedule_appointment", {"appointment_id": apt, "new_start": at(MONDAY, 11)}),
        ("send_sms_confirmation", {"appointment_id": apt}),
    ]:
        result = tool(name, args)  # Alex calling
        assert (result["ok"], result["error"]) == (False, "not_found"), name
    assert sorted(map(str, table_items(_crm(tool)))) == before
    assert read_outbox(_crm(tool).settings.outbox_path) == []


def test_reschedule_moves_and_frees_the_old_time(tool):
    apt = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "alignment", "start": at(MONDAY, 10)},
    )["appointment"]["appointment_id"]
    moved = tool("reschedule_appointment", {"appointment_id": apt, "new_start": at(MONDAY, 10, 30)})
    assert moved["ok"] and moved["appointment"]["start"] == at(
        MONDAY, 10, 30
    )  # overlaps its own old time
    moved = tool("reschedule_appointment", {"appointment_id": apt, "new_start": at(TUESDAY, 8)})
    assert moved["ok"] and moved["appointment"]["start"] == at(TUESDAY, 8)
    assert tool(
        "book_appointment",
        {"vehicle_id": "veh_bea", "service_type": "alignment", "start": at(MONDAY, 10)},
        BEA,
    )["ok"]
    assert_consistent(_crm(tool))


def test_reschedule_is_atomic_under_a_concurrent_booking(tool, customers):
    crm = _crm(tool)
    racers = customers(10, prefix="rs")
    shop_profile = crm.shops.catalog().shop
    days = [
        d
        for d in (MONDAY + timedelta(days=i) for i in range(30))
        if d.weekday() < 5 and shop_profile.hours_on(d)
    ]
    for (ctx, vid), day in zip(racers, days, strict=False):  # a fresh weekday each round
        old, new = at(day, 8), at(day, 15)
        apt = tool(
            "book_appointment",
            {"vehicle_id": "veh_alex", "service_type": "alignment", "start": old},
        )["appointment"]["appointment_id"]
        move, book = _race(
            [
                lambda apt=apt, new=new: tool(
                    "reschedule_appointment", {"appointment_id": apt, "new_start": new}
                ),
                lambda vid=vid, new=new, ctx=ctx: tool(
                    "book_appointment",
                    {"vehicle_id": vid, "service_type": "alignment", "start": new},
                    ctx,
                ),
            ]
        )
        assert move["ok"] != book["ok"], (move, book)  # exactly one of them wins
        loser = book if move["ok"] else move
        assert loser["error"] == "slot_taken"
        current = crm.appointments.get("cus_alex", apt)
        assert current.start.isoformat() == (new if move["ok"] else old)
        assert current.status == AppointmentStatus.SCHEDULED
        assert_consistent(crm)
        tool("cancel_appointment", {"appointment_id": apt})


def test_confirm(tool):
    apt = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "oil", "start": at(MONDAY, 9)},
    )
    result = tool("confirm_appointment", {"appointment_id": apt["appointment"]["appointment_id"]})
    assert result["ok"] and result["appointment"]["status"] == "confirmed"


def test_sms_honours_opt_in(tool):
    crm = _crm(tool)
    alex_apt = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "oil", "start": at(MONDAY, 9)},
    )["appointment"]["appointment_id"]
    bea_apt = tool(
        "book_appointment",
        {"vehicle_id": "veh_bea", "service_type": "oil", "start": at(MONDAY, 9)},
        BEA,
    )["appointment"]["appointment_id"]
    refused = tool("send_sms_confirmation", {"appointment_id": bea_apt}, BEA)
    assert refused == {
        "ok": True,
        "sent": False,
        "reason": "sms_opt_out",
        "message": refused["message"],
    }
    assert read_outbox(crm.settings.outbox_path) == []
    sent = tool("send_sms_confirmation", {"appointment_id": alex_apt})
    assert sent["sent"] is True
    (sms,) = read_outbox(crm.settings.outbox_path)
    assert sms["kind"] == "sms" and sms["to"] == "+15551230001"
    assert "Monday, December 2 at 9:00 AM" in sms["body"] and "Pitstop Demo Garage" in sms["body"]


def test_register_lookup_and_history(tool):
    newcomer = ALEX.model_copy(
        update={"customer_id": None, "customer_number": "+15551234567", "call_sid": "CAnew"}
    )
    assert tool("lookup_customer", {}, newcomer) == {
        "ok": True,
        "found": False,
        "customer": None,
        "vehicles": [],
        "next_appointment": None,
    }
    bad_vin = tool(
        "register_customer",
        {
            "name": "Nia",
            "vehicle": {
                "make": "Honda",
                "model": "Civic",
                "year": 2003,
                "vin": "1HGCM82643A004352",
            },
        },
        newcomer,
    )
    assert bad_vin["error"] == "invalid_vin"
    made = tool(
        "register_customer",
        {
            "name": "Nia Park",
            "vehicle": {
                "make": "Honda",
                "model": "Accord",
                "year": 2003,
                "vin": "1HGCM82633A004352",
            },
        },
        newcomer,
    )
    assert (
        made["ok"]
        and made["customer_id"].startswith("cus_")
        and made["vehicle_id"].startswith("veh_")
    )
    found = tool("lookup_customer", {"phone": "(555) 123-4567"}, newcomer)
    assert found["found"] and found["customer"]["name"] == "Nia Park"
    assert found["vehicles"][0]["label"] == "2003 Honda Accord"
    assert (
        tool("register_customer", {"name": "Nia again"}, newcomer)["error"] == "already_registered"
    )
    assert tool("get_service_history", {}, newcomer) == {"ok": True, "records": []}
    assert tool("get_service_history", {"vehicle_id": "veh_alex"}, newcomer)["error"] == "not_found"


def test_do_not_call_and_handoff(tool):
    crm = _crm(tool)
    assert tool("set_do_not_call", {})["ok"]
    assert crm.customers.get("cus_alex").do_not_call is True
    from datetime import UTC, datetime

    from pitstop.models import CallRecord

    crm.calls.start(
        CallRecord(call_sid="CAalex", direction="inbound", customer_number="+15551230001"),
        datetime.now(UTC),
    )
    result = tool("request_operator_handoff", {"reason": "wants a manager"})
    assert result["action"] == "handoff" and result["shop_phone"] == "+15551239000"
    assert crm.calls.get("CAalex").handoff_reason == "wants a manager"
    # an unknown call gets no half-made record
    tool("request_operator_handoff", {"reason": "x"}, BEA)
    assert crm.calls.get("CAbea") is None


def test_availability_reads_are_queries_only(tool, shop):
    calls = []
    client = shop.table.meta.client

    def hook(model, **_):
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", hook)
    try:
        tool("check_availability", {"service_type": "oil", "preferred_date": str(MONDAY)})
        assert calls == ["Query", "Query"]  # catalogue + that day's granules
        calls.clear()
        tool(
            "check_availability", {"service_type": "oil", "preferred_date": "2030-12-25"}
        )  # the call's catalogue again (no read); the holiday's next open day's granules
        assert calls == ["Query"]
        calls.clear()
        tool(
            "book_appointment",
            {
                "vehicle_id": "veh_alex",
                "service_type": "oil",
                "start": at(MONDAY, 9),
                "bay": "bay2",
            },
        )
        assert sorted(calls) == ["Query", "TransactWriteItems"]  # file, the booking
    finally:
        client.meta.events.unregister("before-call.dynamodb", hook)
