"""Call-routing decisions: plain functions, no table, no network."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from functions.webhook import routing
from pitstop.i18n.formats import spoken_datetime

PARAMS = routing.stream_parameters(
    direction="inbound",
    customer_number="+15551234567",
    customer_id=None,
    shop_id="demo",
    appointment_id=None,
    token="9.sig",
)
COMMON = {
    "shop_name": "Riverside Auto",
    "shop_phone": "+15551230000",
    "bridge_url": "wss://bridge.test/media-stream",
    "parameters": PARAMS,
    "notice": None,
}


def test_stream_parameters_are_all_strings_with_empty_for_none():
    assert PARAMS == {
        "direction": "inbound",
        "customer_number": "+15551234567",
        "customer_id": "",
        "shop_id": "demo",
        "appointment_id": "",
        "token": "9.sig",
    }
    assert tuple(PARAMS) == routing.STREAM_PARAMETERS


def test_inbound_goes_to_the_bridge_when_agent_on_and_bridge_up():
    answer = routing.inbound_answer(agent_enabled=True, bridge_available=True, **COMMON)
    assert answer.kind == "stream" and answer.reason is None
    assert ET.fromstring(answer.twiml).find("./Connect/Stream").get("url") == COMMON["bridge_url"]


@pytest.mark.parametrize(
    ("enabled", "available", "reason"),
    [
        (False, True, "agent_disabled"),
        (True, False, "bridge_unavailable"),
        (False, False, "agent_disabled"),
    ],
)
def test_inbound_falls_back_to_the_shop(enabled, available, reason):
    answer = routing.inbound_answer(agent_enabled=enabled, bridge_available=available, **COMMON)
    assert (answer.kind, answer.reason) == ("fallback", reason)
    assert ET.fromstring(answer.twiml).find("Dial").text == "+15551230000"


def _reminder(**kw):
    args = dict(
        machine=False,
        appointment_found=True,
        spoken_appointment="oil change appointment on Tuesday, December 1 at 9:00 AM",
        agent_enabled=True,
        bridge_available=True,
        **COMMON,
    )
    args.update(kw)
    return routing.reminder_answer(**args)


def test_reminder_for_a_person_streams():
    assert _reminder().kind == "stream"


def test_reminder_for_a_machine_leaves_a_voicemail():
    answer = _reminder(machine=True)
    root = ET.fromstring(answer.twiml)
    assert answer.kind == "voicemail"
    assert [c.tag for c in root] == ["Say", "Hangup"]
    text = root.find("Say").text
    assert "Riverside Auto" in text
    assert "oil change appointment on Tuesday, December 1 at 9:00 AM" in text
    assert "5 5 5, 1 2 3, 0 0 0 0" in text


def test_reminder_unknown_appointment_says_goodbye_and_hangs_up():
    answer = _reminder(appointment_found=False, machine=True)
    root = ET.fromstring(answer.twiml)
    assert (answer.kind, answer.reason) == ("goodbye", "unknown_appointment")
    assert [c.tag for c in root] == ["Say", "Hangup"]


def test_reminder_with_the_agent_off_speaks_the_reminder_to_a_person():
    answer = _reminder(agent_enabled=False)
    assert (answer.kind, answer.reason) == ("message", "agent_disabled")
    assert "Tuesday, December 1" in ET.fromstring(answer.twiml).find("Say").text


def test_fallback_without_a_known_shop_apologises_without_dialing():
    root = ET.fromstring(routing.fallback_answer(None, None, "error").twiml)
    assert [c.tag for c in root] == ["Say", "Hangup"]


@pytest.mark.parametrize(
    ("start", "spoken"),
    [
        (datetime(2026, 12, 1, 9, 0), "Tuesday, December 1 at 9:00 AM"),
        (datetime(2026, 12, 1, 0, 30), "Tuesday, December 1 at 12:30 AM"),
        (datetime(2026, 12, 1, 12, 0), "Tuesday, December 1 at 12:00 PM"),
        (datetime(2027, 1, 15, 15, 45), "Friday, January 15 at 3:45 PM"),
    ],
)
def test_spoken_when(start, spoken):
    assert spoken_datetime(start.replace(tzinfo=ZoneInfo("America/New_York"))) == spoken


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("+15551230000", "5 5 5, 1 2 3, 0 0 0 0"),
        # Grouped as the country writes it (the national format a local caller dials).
        ("+442071234567", "0 2 0, 7 1 2 3, 4 5 6 7"),
    ],
)
def test_spoken_phone(number, spoken):
    assert routing.spoken_phone(number) == spoken


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+15551234567", "+15551234567"),
        ("(555) 123-4567", "+15551234567"),
        ("anonymous", ""),
        ("+266696687", ""),
        (None, ""),
    ],
)
def test_caller_number(raw, e164):
    assert routing.caller_number(raw) == e164


def test_status_fields_only_what_the_callback_carries():
    at = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert routing.status_fields("ringing", None, None, at) == {}
    assert routing.status_fields("in-progress", "", "human", at) == {"answered_by": "human"}
    assert routing.status_fields("completed", "42", "machine_end_beep", at) == {
        "duration_seconds": 42,
        "answered_by": "machine_end_beep",
        "ended_at": at.isoformat(),
    }
    assert "ended_at" in routing.status_fields("no-answer", "0", None, at)
