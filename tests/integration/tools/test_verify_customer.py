"""A caller from an unknown number: found by name and a second fact, or told nothing at all."""

from __future__ import annotations

import pytest

from pitstop.models import CallDirection, CallRecord, Vehicle
from pitstop.tools import ToolContext

from .conftest import MONDAY, NOW, at

VIN = "4T1B11HK5KU123456"
SPOUSE = ToolContext(call_sid="CAwork", customer_number="+15559990000")  # Alex's spouse, at work


@pytest.fixture
def booked(shop, tool):
    """Alex's Camry with a plate and VIN, booked Monday 9:00; the spouse's call is recorded."""
    shop.customers.put_vehicle(
        Vehicle(
            vehicle_id="veh_alex",
            customer_id="cus_alex",
            make="Toyota",
            model="Camry",
            year=2019,
            vin=VIN,
            plate="PIT-4821",
        )
    )
    result = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "oil_change", "start": at(MONDAY, 9)},
    )
    shop.calls.start(
        CallRecord(
            call_sid=SPOUSE.call_sid,
            direction=CallDirection.INBOUND,
            customer_number=SPOUSE.customer_number,
        ),
        NOW,
    )
    return result["appointment"]["appointment_id"]


def _verify(tool, **facts):
    return tool("verify_customer", {"name": "Alex Morgan", **facts}, SPOUSE)


@pytest.mark.parametrize(
    "fact",
    [{"plate": "pit 4821"}, {"vin_ending": "123456"}, {"booking_reference": "<appointment>"}],
)
def test_spouse_from_work_verifies_then_moves_the_booking(tool, booked, fact):
    before = tool("get_upcoming_appointments", {}, SPOUSE)
    assert before["error"] == "customer_not_identified"  # nothing read out before verifying
    if "booking_reference" in fact:
        fact = {"booking_reference": booked}
    verified = tool("verify_customer", {"name": "  alex MORGAN ", **fact}, SPOUSE)
    assert verified["ok"] and verified["customer_id"] == "cus_alex", verified

    moved = tool(
        "reschedule_appointment",
        {"appointment_id": booked, "new_start": at(MONDAY, 14)},
        SPOUSE,
    )
    assert moved["ok"], moved
    upcoming = tool("get_upcoming_appointments", {}, SPOUSE)["appointments"]
    assert [(a["appointment_id"], a["start"]) for a in upcoming] == [(booked, at(MONDAY, 14))]


def test_a_wrong_second_fact_learns_nothing(tool, booked):
    wrong_plate = _verify(tool, plate="XYZ-0000")
    wrong_vin = _verify(tool, vin_ending="654321")
    unknown = tool("verify_customer", {"name": "Nobody Known", "plate": "PIT-4821"}, SPOUSE)
    assert wrong_plate == wrong_vin == unknown
    assert unknown["ok"] is False and unknown["error"] == "not_verified"
    refused = tool("cancel_appointment", {"appointment_id": booked, "reason": "guess"}, SPOUSE)
    assert refused["error"] == "customer_not_identified"
    assert tool("get_upcoming_appointments", {})["appointments"][0]["status"] != "cancelled"


def test_the_fourth_attempt_is_refused_even_with_the_right_facts(tool, booked):
    for _ in range(3):
        assert _verify(tool, plate="WRONG-1")["error"] == "not_verified"
    fourth = _verify(tool, plate="PIT-4821")
    assert fourth["error"] == "verification_unavailable"
    assert tool("get_upcoming_appointments", {}, SPOUSE)["error"] == "customer_not_identified"


def test_a_call_without_a_record_cannot_verify(tool, booked):
    stranger = ToolContext(call_sid="CAforged", customer_number="+15559990001")
    result = tool("verify_customer", {"name": "Alex Morgan", "plate": "PIT-4821"}, stranger)
    assert result["error"] == "verification_unavailable"


def test_a_recognised_caller_has_nothing_to_verify(tool, booked):
    # Alex, recognised by number, cannot switch the call to Bea's account by naming her.
    result = tool("verify_customer", {"name": "Bea Chen", "plate": "PIT-4821"})
    assert result["error"] == "already_identified"
