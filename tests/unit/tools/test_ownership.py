"""A caller can only reach their own data: refusals that need no table at all.

`crm=None` proves these refusals happen before any read: a tool that tried to read would fail.
"""

import pytest

from pitstop.tools import ToolContext, run_tool

ALEX = ToolContext(call_sid="CA1", customer_number="+15551230001", customer_id="cus_alex")


def run(name, args, context=ALEX):
    return run_tool(name, args, context, crm=None, telephony=None)


def test_lookup_of_another_number_is_refused():
    result = run("lookup_customer", {"phone": "+15551230002"})
    assert result == {"ok": False, "error": "not_allowed", "message": result["message"]}


def test_lookup_of_garbage_number_is_refused():
    assert run("lookup_customer", {"phone": "call me maybe"})["error"] == "not_allowed"


def test_register_for_another_number_is_refused():
    assert (
        run("register_customer", {"name": "Mallory", "phone": "+15559999999"})["error"]
        == "not_allowed"
    )


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("get_service_history", {"customer_id": "cus_someone_else"}),
        ("get_upcoming_appointments", {"customer_id": "cus_someone_else"}),
        (
            "book_appointment",
            {
                "customer_id": "cus_someone_else",
                "vehicle_id": "v",
                "service_type": "oil",
                "start": "2026-12-01T09:00",
            },
        ),
        ("cancel_appointment", {"customer_id": "cus_someone_else", "appointment_id": "apt_x"}),
        (
            "reschedule_appointment",
            {
                "customer_id": "cus_someone_else",
                "appointment_id": "apt_x",
                "new_start": "2026-12-01T09:00",
            },
        ),
        ("confirm_appointment", {"customer_id": "cus_someone_else", "appointment_id": "apt_x"}),
    ],
)
def test_claiming_another_customer_is_refused(name, args):
    assert run(name, args)["error"] == "not_allowed"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("get_upcoming_appointments", {}),
        ("cancel_appointment", {"appointment_id": "apt_x"}),
        ("set_do_not_call", {}),
        ("send_sms_confirmation", {"appointment_id": "apt_x"}),
    ],
)
def test_an_anonymous_caller_is_not_identified(name, args):
    # No call: nobody can have verified on it either (on a call, the record is read first:
    # tests/integration/tools/test_verify_customer.py).
    assert run(name, args, ToolContext())["error"] == "customer_not_identified"


def test_call_control_tools_answer_with_an_action():
    assert run("end_call", {"reason": "bye"}) == {"ok": True, "action": "end_call", "reason": "bye"}
