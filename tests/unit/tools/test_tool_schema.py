"""Definitions are generated from the argument models, and validation matches them."""

import pytest
from pydantic import ValidationError

from pitstop.tools import TOOLS, ToolContext, UnknownTool, definitions, run_tool

NAMES = {
    "lookup_customer",
    "register_customer",
    "verify_customer",
    "get_service_history",
    "check_availability",
    "book_appointment",
    "get_upcoming_appointments",
    "cancel_appointment",
    "reschedule_appointment",
    "confirm_appointment",
    "decode_vin",
    "send_sms_confirmation",
    "request_operator_handoff",
    "take_message",
    "end_call",
    "set_do_not_call",
}


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_contract_tool_is_defined_in_realtime_shape():
    defs = definitions()
    assert {d["name"] for d in defs} == NAMES
    for d in defs:
        assert set(d) == {"type", "name", "description", "parameters"}
        assert d["type"] == "function"
        assert len(d["description"]) > 60, d[
            "name"
        ]  # written for the model: when + what it returns
        assert d["parameters"]["type"] == "object"
        assert d["parameters"]["additionalProperties"] is False
        assert not any("$ref" in n or "title" in n or "anyOf" in n for n in _walk(d["parameters"]))


def test_required_fields_match_the_models():
    for d in definitions():
        model = TOOLS[d["name"]].arguments
        required = {n for n, f in model.model_fields.items() if f.is_required()}
        assert set(d["parameters"].get("required", [])) == required
        assert set(d["parameters"]["properties"]) == set(model.model_fields)


def test_definitions_are_copies():
    definitions()[0]["name"] = "mutated"
    assert definitions()[0]["name"] != "mutated"


def test_unknown_tool_raises():
    with pytest.raises(UnknownTool):
        run_tool("open_the_pod_bay_doors", {}, ToolContext(), crm=None, telephony=None)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("check_availability", {"service_type": "oil change"}),  # missing date
        (
            "check_availability",
            {"service_type": "oil", "preferred_date": "next week"},
        ),  # not a date
        (
            "check_availability",
            {
                "service_type": "oil",
                "preferred_date": "2026-12-01",
                "preferred_time_of_day": "teatime",
            },
        ),
        (
            "book_appointment",
            {"vehicle_id": "v", "service_type": "oil", "start": "2026-12-01T09:00", "color": "red"},
        ),  # unknown field
        ("decode_vin", {}),
        ("request_operator_handoff", {"reason": ""}),
    ],
)
def test_bad_arguments_raise_validation_error_before_any_read(name, args):
    with pytest.raises(ValidationError):
        run_tool(name, args, ToolContext(), crm=None, telephony=None)


def test_context_normalises_phone_and_blanks():
    ctx = ToolContext.model_validate(
        {
            "call_sid": "CA1",
            "customer_number": "(555) 123-0001",
            "customer_id": "",
            "appointment_id": "",
            "unexpected": 1,
        }
    )
    assert ctx.customer_number == "+15551230001"
    assert ctx.customer_id is None and ctx.appointment_id is None
    assert ToolContext(customer_number="anonymous").customer_number is None


def test_decode_vin_needs_no_database():
    result = run_tool(
        "decode_vin", {"vin": "1HGCM82643A004352"}, ToolContext(), crm=None, telephony=None
    )
    assert result["ok"] is True and result["valid"] is False and "check digit" in result["error"]
