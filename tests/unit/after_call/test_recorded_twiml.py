"""TwiML Twilio records with: `<Dial record>` from answer on both legs, and a recording status
callback on every `<Dial>` and `<Record>`; documents without either are left as they are."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

from pitstop import handoff, twiml
from pitstop.models import AgentSettings, OpeningHours, Shop

CALLBACK = "https://hooks.test/voice/recording?call=CA1"


def test_a_dial_records_both_legs_from_answer():
    document = handoff.recorded(twiml.fallback_twiml("Shop", "+15550001111"), CALLBACK)
    dial = ET.fromstring(document).find("Dial")
    assert dial.attrib == {
        "timeout": "30",
        "record": "record-from-answer-dual",
        "recordingStatusCallback": CALLBACK,
        "recordingStatusCallbackEvent": "completed",
    }
    assert dial.text == "+15550001111"


def test_a_message_recording_reports_to_the_callback():
    document = handoff.recorded(twiml.record_message_twiml("Leave a message", "/x"), CALLBACK)
    record = ET.fromstring(document).find("Record")
    assert record.get("recordingStatusCallback") == CALLBACK and record.get("record") is None
    assert record.get("action") == "/x"


def test_other_documents_are_unchanged():
    stream = twiml.stream_twiml("wss://b/media-stream", {"a": "1"}, None, "/after")
    assert handoff.recorded(stream, CALLBACK) == stream


def test_the_bridges_handoff_is_recorded_only_when_the_shop_records():
    shop = Shop(
        shop_id="demo",
        name="Shop",
        phone="+15550001111",
        opening_hours={"wed": OpeningHours(opens="08:00", closes="18:00")},
    )
    at = datetime(2026, 12, 2, 10, tzinfo=ZoneInfo(shop.timezone))  # a Wednesday
    on = handoff.plan(shop, AgentSettings(recording_enabled=True), at, "https://hooks.test", "CA1")
    off = handoff.plan(shop, AgentSettings(), at, "https://hooks.test", "CA1")
    assert ET.fromstring(on.twiml).find("Dial").get("recordingStatusCallback") == CALLBACK
    assert ET.fromstring(off.twiml).find("Dial").get("record") is None


def test_a_summary_joins_the_whisper_when_the_call_has_one():
    caller = handoff.Caller("Alex", "2019 Toyota Camry", "asked for a person", "Summary: x.")
    assert handoff.whisper_text("Shop", caller).endswith("Summary: x. Connecting now.")
    assert handoff.summary_line(None) == ""
