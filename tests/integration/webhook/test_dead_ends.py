"""No dead ends (issue 12), through the webhook Lambda over moto: every early end lands somewhere.

Stream ended without the bridge meaning it → a person inside opening hours, a message taker
after them; a handoff answered → on the record; unanswered → the next number, then the agent
again ("nobody could pick up"); a dead fleet → the fallback; a recorded message → stored, the
advisor texted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from functions.webhook import handler
from pitstop.config import get_settings
from pitstop.i18n import text
from pitstop.models import AgentSettings, MessageStatus
from pitstop.stream_token import verify_token
from pitstop.telephony import read_outbox
from tests.integration.webhook.conftest import PUBLIC_URL, STREAM_KEY
from tests.integration.webhook.shop import CUSTOMER_PHONE, SHOP_PHONE, seed_shop

SID = "CA0000000000000000000000000000de01"
CALL = {"CallSid": SID, "From": CUSTOMER_PHONE, "To": "+15005550006", "CallStatus": "ringing"}
# Tuesday 10:00 and 22:00 in the shop's zone (open 8-17 on weekdays).
OPEN = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CLOSED = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
SECOND = "+15551239999"
ADVISOR = "+15551238888"


@pytest.fixture
def at(monkeypatch):
    def set_now(when: datetime) -> None:
        monkeypatch.setattr(handler, "_now", lambda: when)

    set_now(OPEN)
    return set_now


@pytest.fixture
def shop(crm, webhook_settings, at, monkeypatch):
    monkeypatch.setenv("PITSTOP_OUTBOX", str(crm.settings.outbox_path))  # the test's own outbox
    get_settings.cache_clear()
    seed_shop(crm, AgentSettings(handoff_numbers=[SHOP_PHONE, SECOND], advisor_number=ADVISOR))
    crm.heartbeats.beat("task-1", OPEN)
    return crm


def _call_page(crm) -> str:
    """The call's page in the console (its hash route), as the record links it."""
    return f"{crm.settings.console_url.rstrip('/')}/#/calls/{SID}"


def _root(result) -> ET.Element:
    assert result["statusCode"] == 200, result
    return ET.fromstring(result["body"])


def test_every_stream_has_a_connect_action_to_the_rescue_route(shop, twilio):
    connect = _root(twilio.post("/voice", CALL)).find("Connect")
    assert connect.get("action") == f"{PUBLIC_URL}/voice/stream-ended"


def test_a_dead_fleet_sends_new_callers_straight_to_the_fallback(shop, twilio):
    shop.heartbeats.beat("task-1", OPEN - timedelta(minutes=2))
    root = _root(twilio.post("/voice", CALL))
    assert root.find("Connect") is None and root.find("Dial").text == SHOP_PHONE
    record = shop.calls.get(SID)
    assert (record.handoff_reason, record.transcript_url) == (
        "bridge_unavailable",
        _call_page(shop),
    )


def test_stream_ended_unexpectedly_inside_hours_rings_a_person_with_a_whisper(shop, twilio):
    twilio.post("/voice", CALL)
    dial = _root(twilio.post("/voice/stream-ended", CALL)).find("Dial")
    assert dial.get("action") == f"{PUBLIC_URL}/voice/dial-ended?attempt=0"
    number = dial.find("Number")
    assert number.text == SHOP_PHONE
    assert number.get("url") == f"{PUBLIC_URL}/voice/whisper?call={SID}"
    record = shop.calls.get(SID)
    assert (record.outcome, record.handoff_reason) == ("fallback", "stream_ended")
    assert record.transcript_url == _call_page(shop)
    whisper = _root(twilio.post("/voice/whisper", {"CallSid": "CAchild"}, query=f"call={SID}"))
    said = whisper.find("Say").text
    assert "Dana Whitfield" in said and "Honda Civic" in said


def test_stream_ended_after_hours_takes_a_message(shop, twilio, at):
    at(CLOSED)
    twilio.post("/voice", CALL)
    root = _root(twilio.post("/voice/stream-ended", CALL))
    assert root.find("Dial") is None
    assert root.find("Record").get("action") == f"{PUBLIC_URL}/voice/message-recorded"


def test_stream_ended_by_the_bridge_on_purpose_lets_the_call_end(shop, twilio):
    twilio.post("/voice", CALL)
    shop.calls.set_fields(SID, {"ended_by_bridge": True})
    assert list(_root(twilio.post("/voice/stream-ended", CALL))) == []


def test_handoff_answered_is_on_the_record(shop, twilio):
    twilio.post("/voice", CALL)
    form = {**CALL, "DialCallStatus": "completed", "DialCallDuration": "42"}
    assert list(_root(twilio.post("/voice/dial-ended", form, query="attempt=1"))) == []
    record = shop.calls.get(SID)
    assert (record.outcome, record.handoff_to, record.handoff_seconds) == (
        "handed_off",
        SECOND,
        42,
    )


def test_handoff_unanswered_tries_the_next_number_then_returns_to_the_agent(shop, twilio):
    twilio.post("/voice", CALL)
    first_token = shop.calls.get(SID).stream_token_id
    assert shop.calls.claim_stream(SID, first_token, OPEN) is not None  # the bridge took it
    busy = {**CALL, "DialCallStatus": "busy"}
    dial = _root(twilio.post("/voice/dial-ended", busy, query="attempt=0")).find("Dial")
    assert dial.find("Number").text == SECOND
    assert dial.get("action").endswith("attempt=1")
    unanswered = {**CALL, "DialCallStatus": "no-answer"}
    root = _root(twilio.post("/voice/dial-ended", unanswered, query="attempt=1"))
    stream = root.find("./Connect/Stream")
    assert root.find("Connect").get("action") == f"{PUBLIC_URL}/voice/stream-ended"
    token = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}["token"]
    verify_token(token, SID, "inbound", STREAM_KEY, now=OPEN.timestamp())
    record = shop.calls.get(SID)
    assert record.outcome == "handoff_unanswered"
    context = shop.calls.claim_stream(SID, record.stream_token_id, OPEN)
    assert context is not None and context.resume_reason == "handoff_unanswered"


def test_handoff_unanswered_with_the_fleet_dead_takes_a_message(shop, twilio):
    twilio.post("/voice", CALL)
    shop.heartbeats.beat("task-1", OPEN - timedelta(minutes=2))
    failed = {**CALL, "DialCallStatus": "failed"}
    root = _root(twilio.post("/voice/dial-ended", failed, query="attempt=1"))
    assert root.find("Record") is not None and root.find("Connect") is None


def test_a_recorded_message_is_stored_and_the_advisor_texted(shop, twilio):
    twilio.post("/voice", CALL)
    form = {**CALL, "RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingDuration": "14"}
    root = _root(twilio.post("/voice/message-recorded", form))
    assert root.find("Hangup") is not None
    [message] = shop.messages.list(MessageStatus.NEW)
    assert (message.call_sid, message.callback_number, message.recording_url) == (
        SID,
        CUSTOMER_PHONE,
        "https://api.twilio.com/rec/RE1",
    )
    assert shop.calls.get(SID).outcome == "message_taken"
    [sms] = [e for e in read_outbox(shop.settings.outbox_path) if e.get("kind") == "sms"]
    assert sms["to"] == ADVISOR and message.message_id in sms["body"]


def test_a_forged_rescue_request_is_refused(shop, twilio):
    result = twilio.post("/voice/stream-ended", CALL, signature="Zm9yZ2Vk")
    assert result["statusCode"] == 403


def test_a_japanese_shop_takes_its_message_and_says_goodbye_in_japanese(shop, twilio, at):
    shop.shops.put_settings(AgentSettings(language="ja", advisor_number=ADVISOR))
    at(CLOSED)
    twilio.post("/voice", CALL)
    say = _root(twilio.post("/voice/stream-ended", CALL)).find("Say")
    assert say.get("language") == "ja-JP" and say.text == text("ja", "calls.message_prompt")
    form = {**CALL, "RecordingUrl": "https://api.twilio.com/rec/RE2", "RecordingDuration": "9"}
    goodbye = _root(twilio.post("/voice/message-recorded", form)).find("Say")
    assert goodbye.get("language") == "ja-JP" and goodbye.text == text("ja", "calls.message_thanks")
