"""Every text a tool sends on a call is counted on that call's record by carrier segments."""

from __future__ import annotations

from pitstop.models import CallDirection, CallRecord
from pitstop.sms_encoding import sms_segments
from pitstop.telephony import read_outbox

from .conftest import ALEX, MONDAY, NOW, at


def test_the_confirmation_text_is_counted_on_its_call(tool, shop, settings):
    shop.calls.start(
        CallRecord(
            call_sid=ALEX.call_sid,
            direction=CallDirection.INBOUND,
            customer_number=ALEX.customer_number,
            shop_id=shop.settings.shop_id,
            started_at=NOW,
        ),
        NOW,
    )
    booking = {"vehicle_id": "veh_alex", "service_type": "oil_change", "start": at(MONDAY, 9)}
    apt = tool("book_appointment", booking)["appointment"]["appointment_id"]
    assert tool("send_sms_confirmation", {"appointment_id": apt})["sent"] is True
    [sent] = [e for e in read_outbox(settings.outbox_path) if e["kind"] == "sms"]
    assert shop.calls.get(ALEX.call_sid).sms_segments == sms_segments(sent["body"]).segments >= 1


def test_a_text_on_a_call_without_a_record_still_goes(tool, settings):
    apt = tool(
        "book_appointment",
        {"vehicle_id": "veh_alex", "service_type": "oil_change", "start": at(MONDAY, 10)},
    )["appointment"]["appointment_id"]
    assert tool("send_sms_confirmation", {"appointment_id": apt})["sent"] is True
    assert len(read_outbox(settings.outbox_path)) == 1
