"""The tools API through the real `lambda_handler`, with function-URL (v2) events."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pitstop.dal import Crm
from pitstop.seed import DEMO_CALLER, seed
from pitstop.telephony import read_outbox

CONTEXT = {
    "call_sid": "CAapi0001",
    "customer_number": DEMO_CALLER["phone"],
    "customer_id": None,
    "direction": "inbound",
    "appointment_id": None,
}


def test_lists_the_definitions(invoke):
    status, body = invoke("GET", "/tools")
    assert status == 200
    assert len(body["tools"]) == 16
    assert all(
        t["type"] == "function" and t["parameters"]["type"] == "object" for t in body["tools"]
    )


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_token_required_locally(invoke, token):
    assert invoke("GET", "/tools", token=token)[0] == 401
    status, _ = invoke(
        "POST", "/tools/decode_vin", {"arguments": {"vin": "1HGCM82633A004352"}}, token=token
    )
    assert status == 401


def test_iam_mode_relies_on_the_function_url(invoke, monkeypatch):
    from pitstop import config

    monkeypatch.setenv("PITSTOP_TOOLS_AUTH", "iam")
    config.get_settings.cache_clear()
    assert invoke("GET", "/tools", token=None)[0] == 200


def test_unknown_tool_is_404(invoke):
    status, body = invoke("POST", "/tools/launch_rocket", {"arguments": {}, "context": CONTEXT})
    assert status == 404 and body["error"] == "unknown_tool"


def test_bad_arguments_are_422_with_what_is_wrong(invoke):
    status, body = invoke(
        "POST",
        "/tools/check_availability",
        {"arguments": {"service_type": "oil", "preferred_date": "someday"}, "context": CONTEXT},
    )
    assert status == 422 and body["error"] == "invalid_arguments"
    assert [e["loc"] for e in body["detail"]] == [["preferred_date"]]
    status, body = invoke("POST", "/tools/decode_vin", raw_body="{not json")
    assert status == 422


def test_decode_vin_over_http(invoke):
    status, body = invoke(
        "POST", "/tools/decode_vin", {"arguments": {"vin": "1HGCM82633A004352"}, "context": CONTEXT}
    )
    assert status == 200
    assert body["result"] == {
        "ok": True,
        "valid": True,
        "vin": "1HGCM82633A004352",
        "year": 2003,
        "manufacturer": "Honda",
        "country": "United States",
        "error": None,
    }


def test_demo_caller_books_an_oil_change_end_to_end(invoke, settings, capsys):
    """The README's demo: Alex calls, hears free oil-change times, books, gets a text, cancels."""
    from functions.tools.handler import logger

    log_stream = io.StringIO()
    previous = logger.registered_handler.setStream(log_stream)
    tz = ZoneInfo("America/New_York")
    today = datetime.now(tz).date()
    seed(settings, today)

    def post(name, arguments, context=CONTEXT):
        status, body = invoke(
            "POST", f"/tools/{name}", {"arguments": arguments, "context": context}
        )
        assert status == 200, body
        return body["result"]

    me = post("lookup_customer", {})
    assert me["found"] and me["customer"]["name"] == "Alex Morgan"
    (camry,) = me["vehicles"]
    assert (
        camry["label"] == "2019 Toyota Camry"
        and me["next_appointment"]["service_type"] == "tire_rotation"
    )

    shop = Crm(settings).shops.catalog().shop
    weekday = next(
        d
        for d in (today + timedelta(days=i) for i in range(1, 10))
        if d.weekday() < 5 and shop.hours_on(d)
    )
    found = post(
        "check_availability",
        {
            "service_type": "oil change",
            "preferred_date": weekday.isoformat(),
            "preferred_time_of_day": "morning",
        },
    )
    slot = found["slots"][0]
    assert slot["start"].startswith(f"{weekday.isoformat()}T08:00")

    booked = post(
        "book_appointment",
        {
            "vehicle_id": camry["vehicle_id"],
            "service_type": "oil_change",
            "start": slot["start"],
            "bay": slot["bay"],
        },
    )
    assert booked["ok"], booked
    apt = booked["appointment"]["appointment_id"]
    again = post(
        "book_appointment",
        {
            "vehicle_id": camry["vehicle_id"],
            "service_type": "oil_change",
            "start": slot["start"],
            "bay": slot["bay"],
        },
    )
    assert again == booked  # the same request on the same call: the first answer, one booking

    sms = post("send_sms_confirmation", {"appointment_id": apt})
    assert sms["sent"] is True
    assert read_outbox(settings.outbox_path)[-1]["to"] == DEMO_CALLER["phone"]

    upcoming = post("get_upcoming_appointments", {})
    assert apt in [a["appointment_id"] for a in upcoming["appointments"]]
    assert (
        post("cancel_appointment", {"appointment_id": apt})["appointment"]["status"] == "cancelled"
    )
    refused = post("cancel_appointment", {"appointment_id": "apt_demo0002"})  # someone else's
    assert refused["error"] == "not_found"

    logger.registered_handler.setStream(previous)
    logs = log_stream.getvalue()
    lines = [
        json.loads(line)
        for line in logs.splitlines()
        if line.startswith("{") and '"tool ran"' in line
    ]
    assert lines and all(line["call_sid"] == "CAapi0001" for line in lines)
    assert DEMO_CALLER["phone"] not in logs and "+1******0001" in logs
    assert "ToolLatency" in capsys.readouterr().out  # the EMF metric line


def test_domain_refusal_is_200(invoke, settings):
    tz = ZoneInfo("America/New_York")
    seed(settings, datetime.now(tz).date())
    status, body = invoke(
        "POST",
        "/tools/book_appointment",
        {
            "arguments": {
                "vehicle_id": DEMO_CALLER["vehicle_id"],
                "service_type": "oil change",
                "start": "2020-01-06T09:00:00",
            },
            "context": CONTEXT,
        },
    )
    assert (
        status == 200 and body["result"]["ok"] is False and body["result"]["error"] == "in_the_past"
    )
    status, body = invoke(
        "POST",
        "/tools/lookup_customer",
        {"arguments": {"phone": "+15551230002"}, "context": CONTEXT},
    )
    assert status == 200 and body["result"]["error"] == "not_allowed"
