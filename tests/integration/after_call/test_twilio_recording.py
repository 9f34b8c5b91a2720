"""Calls the bridge does not carry are recorded by Twilio when the shop records calls: the
webhook's `<Dial>`s record from answer (both legs), and Twilio's signed recording status
callback (`/voice/recording`) links the recording on the call record."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from pitstop.models import AgentSettings, CallDirection, CallRecord
from tests.integration.webhook.conftest import PUBLIC_URL
from tests.integration.webhook.shop import SHOP_PHONE, seed_shop

CALL_SID = "CA00000000000000000000000000rec001"
CALL = {"CallSid": CALL_SID, "From": "+15551234567", "To": "+15005550006"}
RECORDING = {
    "AccountSid": "AC00000000000000000000000000000000",
    "CallSid": CALL_SID,
    "RecordingSid": "RE00000000000000000000000000000001",
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE01",
    "RecordingStatus": "completed",
    "RecordingDuration": "42",
    "RecordingChannels": "2",
    "RecordingSource": "DialVerb",
}


def _dial(body: str) -> ET.Element:
    dial = ET.fromstring(body).find("Dial")
    assert dial is not None and dial.text == SHOP_PHONE
    return dial


def test_the_fallback_transfer_is_recorded_when_the_shop_records(crm, webhook_settings, twilio):
    seed_shop(crm, AgentSettings(recording_enabled=True))
    dial = _dial(twilio.post("/voice/fallback", CALL)["body"])
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.get("recordingStatusCallback") == f"{PUBLIC_URL}/voice/recording?call={CALL_SID}"
    assert dial.get("recordingStatusCallbackEvent") == "completed"


def test_nothing_is_recorded_when_recording_is_off(crm, webhook_settings, twilio):
    seed_shop(crm, AgentSettings(recording_enabled=False))
    dial = _dial(twilio.post("/voice/fallback", CALL)["body"])
    assert dial.get("record") is None and dial.get("recordingStatusCallback") is None


def _call(crm) -> None:
    crm.calls.start(
        CallRecord(
            call_sid=CALL_SID,
            direction=CallDirection.INBOUND,
            customer_number="+15551234567",
            started_at=datetime.now(UTC),
        ),
        datetime.now(UTC),
    )


def test_the_recording_callback_links_the_recording(seeded, twilio):
    _call(seeded)
    result = twilio.post("/voice/recording", RECORDING, query=f"call={CALL_SID}")
    assert result["statusCode"] == 200
    record = seeded.calls.get(CALL_SID)
    assert record.twilio_recording_sid == RECORDING["RecordingSid"]
    assert record.twilio_recording_url == RECORDING["RecordingUrl"]
    assert record.twilio_recording_seconds == 42


def test_a_forged_recording_callback_links_nothing(seeded, twilio):
    _call(seeded)
    forged = twilio.post("/voice/recording", RECORDING, query=f"call={CALL_SID}", signature="x")
    assert forged["statusCode"] == 403
    assert seeded.calls.get(CALL_SID).twilio_recording_sid is None


def test_a_recording_that_is_not_complete_is_not_linked(seeded, twilio):
    _call(seeded)
    absent = {**RECORDING, "RecordingStatus": "absent"}
    assert twilio.post("/voice/recording", absent, query=f"call={CALL_SID}")["statusCode"] == 200
    assert seeded.calls.get(CALL_SID).twilio_recording_sid is None
