"""Texts sent on a call are counted on its record by carrier segments (GSM-7 or UCS-2), so
the after-call cost prices what the carrier bills."""

from __future__ import annotations

from pitstop.after_call import AfterCall, count_sms
from pitstop.models import AgentSettings, CallDirection, CallRecord, CallStatus, Message
from pitstop.sms_encoding import sms_segments
from pitstop.telephony import OutboxTelephony, read_outbox
from pitstop.tools.take_message import record_message
from tests.integration.after_call.conftest import NOW
from tests.integration.webhook.shop import seed_shop

ADVISOR = "+15550009999"


def _call(crm, call_sid: str) -> None:
    crm.calls.start(
        CallRecord(
            call_sid=call_sid,
            direction=CallDirection.INBOUND,
            customer_number="+15551230001",
            shop_id=crm.settings.shop_id,
            started_at=NOW,
        ),
        NOW,
    )


def test_the_advisors_text_is_counted_on_the_call_and_priced(crm, settings):
    seed_shop(crm, AgentSettings(advisor_number=ADVISOR))
    _call(crm, "CAsms1")
    telephony = OutboxTelephony(settings.outbox_path, settings.from_number)
    message = Message(
        shop_id=crm.settings.shop_id,
        call_sid="CAsms1",
        caller_name="Dana",
        about="a long question about brakes " * 8,
        created_at=NOW,
    )
    _, notified = record_message(crm, telephony, message)
    assert notified
    [sent] = [e for e in read_outbox(settings.outbox_path) if e["kind"] == "sms"]
    expected = sms_segments(sent["body"]).segments
    assert expected >= 2
    assert crm.calls.get("CAsms1").sms_segments == expected

    crm.calls.update_status("CAsms1", CallStatus.COMPLETED, {"duration_seconds": 30})
    image = crm.table.get_item(Key={"pk": "CALL#CAsms1", "sk": "RECORD"})["Item"]
    assert AfterCall(crm).process(image, NOW)
    cost = crm.calls.get("CAsms1").cost
    assert cost.sms_segments == expected
    assert cost.sms_usd == round(expected * 0.0083, 6)


def test_a_text_that_needs_ucs2_counts_more_segments(crm):
    _call(crm, "CAsms2")
    count_sms(crm, "CAsms2", "ご予約を承りました。" * 10)  # 100 characters of UCS-2: 2 segments
    count_sms(crm, "CAsms2", "Booked.")
    assert crm.calls.get("CAsms2").sms_segments == 3


def test_a_text_on_no_recorded_call_is_not_counted(crm):
    count_sms(crm, "CAnobody", "hello")
    assert crm.calls.get("CAnobody") is None
