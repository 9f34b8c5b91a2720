"""POST /voice/reminder: the agent for a person, a voicemail for a machine, goodbye if moot."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from pitstop.models import ReminderStatus
from pitstop.stream_token import InvalidStreamToken, verify_token
from tests.integration.webhook.conftest import BRIDGE_URL, PUBLIC_URL, STREAM_KEY, sign
from tests.integration.webhook.shop import (
    APPOINTMENT_ID,
    CUSTOMER_ID,
    CUSTOMER_PHONE,
    SHOP_NAME,
)

SID = "CA00000000000000000000000000re0001"
QUERY = urlencode({"appointment_id": APPOINTMENT_ID, "customer_id": CUSTOMER_ID})
CALL = {
    "CallSid": SID,
    "From": "+15005550006",
    "To": CUSTOMER_PHONE,
    "CallStatus": "in-progress",
    "Direction": "outbound-api",
}


@pytest.fixture
def dialled(seeded):
    """The appointment as the reminders Lambda leaves it: claimed, dialled as SID, record begun."""
    repository = seeded.reminders
    appointment = seeded.appointments.get(CUSTOMER_ID, APPOINTMENT_ID)
    now = datetime.now(UTC)
    token = repository.claim(appointment, now, timedelta(minutes=15), max_attempts=3)
    assert token and repository.mark_dialled(appointment, token, SID, now)
    return seeded


def test_a_person_gets_the_agent_with_the_appointment(dialled, twilio):
    result = twilio.post("/voice/reminder", {**CALL, "AnsweredBy": "human"}, query=QUERY)
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"] == "text/xml"
    stream = ET.fromstring(result["body"]).find("./Connect/Stream")
    assert stream.get("url") == BRIDGE_URL
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert {k: v for k, v in params.items() if k != "token"} == {
        "direction": "reminder",
        "customer_number": CUSTOMER_PHONE,
        "customer_id": CUSTOMER_ID,
        "shop_id": "demo",
        "appointment_id": APPOINTMENT_ID,
    }
    verify_token(params["token"], SID, "reminder", STREAM_KEY)
    with pytest.raises(InvalidStreamToken):
        verify_token(params["token"], SID, "inbound", STREAM_KEY)
    assert dialled.calls.get(SID).answered_by == "human"


@pytest.mark.parametrize(
    "answered_by",
    ["machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"],
)
def test_a_machine_gets_a_voicemail_and_the_reminder_counts_as_delivered(
    dialled, twilio, answered_by
):
    result = twilio.post("/voice/reminder", {**CALL, "AnsweredBy": answered_by}, query=QUERY)
    root = ET.fromstring(result["body"])
    assert [child.tag for child in root] == ["Say", "Hangup"]
    text = root.find("Say").text
    assert SHOP_NAME in text
    assert "oil change appointment on Tuesday, December 1 at 9:00 AM" in text
    assert "5 5 5, 1 2 3, 0 0 0 0" in text  # the shop's number, to call back
    appointment = dialled.appointments.get(CUSTOMER_ID, APPOINTMENT_ID)
    assert appointment.reminder_status == ReminderStatus.VOICEMAIL
    record = dialled.calls.get(SID)
    assert (record.outcome, record.answered_by) == ("voicemail", answered_by)


@pytest.mark.parametrize(
    "query",
    [
        urlencode({"appointment_id": "apt_nope", "customer_id": CUSTOMER_ID}),
        urlencode({"appointment_id": APPOINTMENT_ID, "customer_id": "cus_someone_else"}),
        "",
    ],
)
def test_unknown_appointment_is_a_polite_goodbye(seeded, twilio, query):
    result = twilio.post("/voice/reminder", {**CALL, "AnsweredBy": "human"}, query=query)
    root = ET.fromstring(result["body"])
    assert result["statusCode"] == 200
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert SHOP_NAME in root.find("Say").text


def test_cancelled_appointment_is_a_polite_goodbye(seeded, twilio):
    seeded.appointments.cancel(seeded.appointments.get(CUSTOMER_ID, APPOINTMENT_ID), "moved away")
    root = ET.fromstring(
        twilio.post("/voice/reminder", {**CALL, "AnsweredBy": "human"}, query=QUERY)["body"]
    )
    assert [child.tag for child in root] == ["Say", "Hangup"]


def test_changed_query_breaks_the_signature(seeded, twilio):
    signed_for = PUBLIC_URL + "/voice/reminder?" + QUERY
    other = urlencode({"appointment_id": "apt_other", "customer_id": CUSTOMER_ID})
    result = twilio.post("/voice/reminder", CALL, query=other, signature=sign(signed_for, CALL))
    assert result["statusCode"] == 403
    assert seeded.calls.get(SID) is None
