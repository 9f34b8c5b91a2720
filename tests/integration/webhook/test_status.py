"""POST /voice/status: forward-only, idempotent, in any order; reminder outcomes follow."""

from datetime import UTC, datetime, timedelta

from pitstop.models import CallDirection, CallRecord, ReminderStatus
from tests.integration.webhook.conftest import table_items
from tests.integration.webhook.shop import APPOINTMENT_ID, CUSTOMER_ID, CUSTOMER_PHONE

SID = "CA00000000000000000000000000st0001"
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _status(status, **extra):
    return {
        "CallSid": SID,
        "CallStatus": status,
        "From": "+15005550006",
        "To": CUSTOMER_PHONE,
        **extra,
    }


def _start(crm, **kw):
    crm.calls.start(
        CallRecord(
            call_sid=SID, direction=CallDirection.INBOUND, customer_number=CUSTOMER_PHONE, **kw
        ),
        NOW,
    )


def test_out_of_order_callbacks_keep_the_final_status(seeded, twilio):
    _start(seeded)
    done = _status("completed", CallDuration="84", Timestamp="Thu, 26 Nov 2026 12:01:24 +0000")
    assert twilio.post("/voice/status", done)["statusCode"] == 200
    assert twilio.post("/voice/status", _status("ringing"))["statusCode"] == 200
    assert twilio.post("/voice/status", _status("in-progress"))["statusCode"] == 200
    record = seeded.calls.get(SID)
    assert (record.status, record.duration_seconds) == ("completed", 84)
    assert record.ended_at == datetime(2026, 11, 26, 12, 1, 24, tzinfo=UTC)


def test_repeated_callback_is_idempotent(seeded, twilio):
    _start(seeded)
    done = _status("completed", CallDuration="30", Timestamp="Thu, 26 Nov 2026 12:00:30 +0000")
    twilio.post("/voice/status", done)
    first = table_items(seeded)
    result = twilio.post("/voice/status", done)
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"] == "text/xml"
    assert table_items(seeded) == first


def test_a_later_completed_callback_never_rewrites_ended_at(seeded, twilio):
    """A finished record is final: a second `completed` (later time, other duration) changes
    neither when the call ended nor how long it lasted."""
    _start(seeded)
    first = _status("completed", CallDuration="30", Timestamp="Thu, 26 Nov 2026 12:00:30 +0000")
    later = _status("completed", CallDuration="95", Timestamp="Thu, 26 Nov 2026 12:05:00 +0000")
    assert twilio.post("/voice/status", first)["statusCode"] == 200
    assert twilio.post("/voice/status", later)["statusCode"] == 200
    record = seeded.calls.get(SID)
    assert record.ended_at == datetime(2026, 11, 26, 12, 0, 30, tzinfo=UTC)
    assert record.duration_seconds == 30


def test_in_order_callbacks_move_forward(seeded, twilio):
    _start(seeded)
    for status in ("ringing", "in-progress"):
        twilio.post("/voice/status", _status(status))
        assert seeded.calls.get(SID).status == status
    twilio.post("/voice/status", _status("completed", CallDuration="12"))
    record = seeded.calls.get(SID)
    assert record.status == "completed" and record.ended_at is not None


def test_callback_for_an_unknown_call_writes_nothing(seeded, twilio):
    before = table_items(seeded)
    assert twilio.post("/voice/status", _status("completed"))["statusCode"] == 200
    assert table_items(seeded) == before


def test_forged_status_changes_nothing(seeded, twilio):
    _start(seeded)
    before = table_items(seeded)
    assert (
        twilio.post("/voice/status", _status("completed"), signature="bm9wZQ==")["statusCode"]
        == 403
    )
    assert table_items(seeded) == before


def test_reminder_nobody_answered_is_recorded_for_a_retry(seeded, twilio):
    repository = seeded.reminders
    appointment = seeded.appointments.get(CUSTOMER_ID, APPOINTMENT_ID)
    now = datetime.now(UTC)
    token = repository.claim(appointment, now, timedelta(minutes=15), max_attempts=3)
    repository.mark_dialled(appointment, token, SID, now)
    seeded.calls.start(
        CallRecord(
            call_sid=SID,
            direction=CallDirection.REMINDER,
            customer_number=CUSTOMER_PHONE,
            customer_id=CUSTOMER_ID,
            appointment_id=APPOINTMENT_ID,
        ),
        now,
    )
    twilio.post("/voice/status", _status("no-answer", CallDuration="0"))
    appointment = seeded.appointments.get(CUSTOMER_ID, APPOINTMENT_ID)
    assert appointment.reminder_status == ReminderStatus.NO_ANSWER
    assert appointment.reminder_next_attempt is not None
    assert seeded.calls.get(SID).outcome == "no_answer"
