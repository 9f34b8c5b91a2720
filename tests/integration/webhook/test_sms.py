"""POST /sms: signed like voice, consent keywords recorded, reminder replies acted on."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from pitstop.config import get_settings
from pitstop.models import Appointment, AppointmentStatus, MessageStatus, TextDirection
from pitstop.telephony import read_outbox
from tests.integration.webhook.conftest import table_items
from tests.integration.webhook.shop import CUSTOMER_ID, CUSTOMER_PHONE, TZ

SHOP_NUMBER = "+15005550006"
LATER = datetime(2030, 12, 3, 10, 0, tzinfo=TZ)  # a Tuesday well after any test run
FUTURE_ID = "apt_smsfuture1"


def text(body: str, sender: str = CUSTOMER_PHONE, sid: str = "SM0001") -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC0000",
        "From": sender,
        "To": SHOP_NUMBER,
        "Body": body,
        "NumMedia": "0",
    }


@pytest.fixture
def shop(seeded, settings, monkeypatch):
    """The seeded shop, its outbox the test's own, and an appointment still to come."""
    monkeypatch.setenv("PITSTOP_OUTBOX", str(settings.outbox_path))
    get_settings.cache_clear()
    seeded.appointments.book(
        Appointment(
            appointment_id=FUTURE_ID,
            shop_id=seeded.settings.shop_id,
            customer_id=CUSTOMER_ID,
            vehicle_id="veh_webhook01",
            service_type="oil_change",
            bay="B1",
            start=LATER,
            end=LATER + timedelta(minutes=30),
        )
    )
    return seeded


def messages_of(result: dict) -> list[str]:
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"] == "text/xml"
    root = ET.fromstring(result["body"])
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def opted_in(crm) -> bool:
    return crm.customers.get(CUSTOMER_ID).sms_opt_in


def test_a_forged_text_is_refused_and_changes_nothing(shop, twilio):
    before = table_items(shop)
    result = twilio.post("/sms", text("STOP"), signature="forged")
    assert result["statusCode"] == 403
    assert table_items(shop) == before and opted_in(shop)


@pytest.mark.parametrize(
    "word", ["STOP", "stop", " Stop ", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]
)
def test_an_opt_out_keyword_records_the_opt_out_and_lets_twilio_reply(shop, twilio, word):
    assert messages_of(twilio.post("/sms", text(word))) == []  # Twilio sends the confirmation
    assert not opted_in(shop)


@pytest.mark.parametrize("word", ["START", "YES", "UNSTOP", "unstop"])
def test_an_opt_in_keyword_records_consent_again(shop, twilio, word):
    shop.customers.set_sms_opt_in(CUSTOMER_ID, False)
    assert messages_of(twilio.post("/sms", text(word))) == []
    assert opted_in(shop)


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_is_left_to_twilio_and_changes_no_consent(shop, twilio, word):
    assert messages_of(twilio.post("/sms", text(word))) == []
    assert opted_in(shop)


def test_after_stop_the_confirmation_tool_refuses_before_twilio(shop, twilio, settings):
    from pitstop.telephony import OutboxTelephony
    from pitstop.tools import ToolContext, run_tool

    twilio.post("/sms", text("STOP"))
    context = ToolContext(call_sid="CAx", customer_number=CUSTOMER_PHONE, customer_id=CUSTOMER_ID)
    telephony = OutboxTelephony(settings.outbox_path, SHOP_NUMBER)
    result = run_tool(
        "send_sms_confirmation", {"appointment_id": FUTURE_ID}, context, shop, telephony
    )
    assert result["sent"] is False
    assert result["message"] == "not sent: the customer has opted out of texts"
    assert read_outbox(settings.outbox_path) == []


# --- reminder replies --------------------------------------------------------------------
@pytest.fixture
def reminded(shop, settings):
    """The reminder call for the future appointment went to voicemail: the customer is texted."""
    from pitstop import reminders
    from pitstop.telephony import OutboxTelephony

    telephony = OutboxTelephony(settings.outbox_path, SHOP_NUMBER)
    now = datetime.now(UTC)
    assert reminders.text_reminder(shop, telephony, CUSTOMER_ID, FUTURE_ID, now)
    assert not reminders.text_reminder(shop, telephony, CUSTOMER_ID, FUTURE_ID, now)  # once
    (sms,) = read_outbox(settings.outbox_path)
    assert sms["to"] == CUSTOMER_PHONE and "Reply 1 to confirm, 2 to cancel" in sms["body"]
    return shop


def test_a_reminder_call_that_reaches_voicemail_texts_the_customer(shop, twilio, settings):
    from urllib.parse import urlencode

    appointment = shop.appointments.get(CUSTOMER_ID, FUTURE_ID)
    now = datetime.now(UTC)
    token = shop.reminders.claim(appointment, now, timedelta(minutes=15), max_attempts=3)
    assert token and shop.reminders.mark_dialled(appointment, token, "CAsmsvm", now)
    call = {"CallSid": "CAsmsvm", "From": SHOP_NUMBER, "To": CUSTOMER_PHONE}
    query = urlencode({"appointment_id": FUTURE_ID, "customer_id": CUSTOMER_ID})
    twilio.post("/voice/reminder", {**call, "AnsweredBy": "machine_end_beep"}, query=query)
    twilio.post(
        "/voice/status", {**call, "CallStatus": "completed", "AnsweredBy": "machine_end_beep"}
    )
    (sms,) = read_outbox(settings.outbox_path)  # the voicemail and the status: one text
    assert sms["to"] == CUSTOMER_PHONE and "Reply 1 to confirm" in sms["body"]


def test_reply_1_confirms_and_the_exchange_is_on_the_appointment(reminded, twilio):
    (answer,) = messages_of(twilio.post("/sms", text("1")))
    assert "confirmed" in answer
    assert reminded.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.CONFIRMED
    texts = reminded.texts.for_appointment(CUSTOMER_ID, FUTURE_ID)
    assert [(t.direction, t.action) for t in texts] == [
        (TextDirection.OUTBOUND, "reminder"),
        (TextDirection.INBOUND, None),
        (TextDirection.OUTBOUND, "confirm"),
    ]
    assert texts[1].body == "1" and texts[2].body == answer


def test_reply_2_cancels(reminded, twilio):
    (answer,) = messages_of(twilio.post("/sms", text(" 2 ")))
    assert "cancelled" in answer
    assert reminded.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.CANCELLED


def test_reply_3_leaves_a_message_for_the_advisor(reminded, twilio):
    (answer,) = messages_of(twilio.post("/sms", text("3")))
    assert "call you" in answer
    (message,) = reminded.messages.list(MessageStatus.NEW)
    assert message.customer_id == CUSTOMER_ID and message.callback_number == CUSTOMER_PHONE
    assert FUTURE_ID in message.about
    assert reminded.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.SCHEDULED


def test_a_reply_that_matches_nothing_gets_help_and_changes_nothing(reminded, twilio):
    (answer,) = messages_of(twilio.post("/sms", text("maybe thursday?")))
    assert "Reply 1 to confirm" in answer
    assert reminded.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.SCHEDULED
    assert len(reminded.texts.for_appointment(CUSTOMER_ID, FUTURE_ID)) == 3


def test_a_digit_from_a_stranger_changes_nothing(reminded, twilio):
    (answer,) = messages_of(twilio.post("/sms", text("2", sender="+15559990000")))
    assert "call" in answer
    assert reminded.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.SCHEDULED


def test_no_reminder_text_means_a_digit_is_not_a_reply(shop, twilio):
    messages_of(twilio.post("/sms", text("2")))
    assert shop.appointments.get(CUSTOMER_ID, FUTURE_ID).status == AppointmentStatus.SCHEDULED
