"""Outcomes of reminder calls (status callbacks), retries, leases and the shop's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from functions.reminders.run import run_reminders
from pitstop.models import CallDirection, CallRecord, OpeningHours, ReminderStatus
from pitstop.reminders import ReminderPolicy, on_call_status, record_voicemail

from .conftest import NOW, TOMORROW


def _run(crm, twilio, clock, policy, at=NOW, **kwargs):
    now = at if callable(at) else (lambda: at)
    return run_reminders(
        crm, twilio, policy=policy, now=now, clock=clock.monotonic, sleep=clock.sleep, **kwargs
    )


@pytest.fixture
def one(crm, shop, builder):
    """One due appointment tomorrow."""
    return builder.appointment(builder.customer(), TOMORROW, 0)


def _status(crm, recorder, index, status, answered_by=None, at=NOW, policy=None):
    record = crm.calls.get(recorder.calls[index]["sid"])
    on_call_status(crm, record, status, answered_by, at, policy=policy)
    return record


@pytest.mark.parametrize(
    ("twilio_status", "outcome"),
    [
        ("no-answer", ReminderStatus.NO_ANSWER),
        ("busy", ReminderStatus.BUSY),
        ("failed", ReminderStatus.FAILED),
    ],
)
def test_unanswered_calls_are_retried_after_the_gap(
    crm, twilio, recorder, clock, policy, one, repository, twilio_status, outcome
):
    assert _run(crm, twilio, clock, policy).dialled == 1
    _status(crm, recorder, 0, twilio_status, policy=policy)
    stored = repository.get(one.customer_id, one.appointment_id)
    assert stored.reminder_status == outcome
    assert stored.reminder_next_attempt == NOW + policy.retry_gap
    assert crm.calls.get(recorder.calls[0]["sid"]).outcome == outcome.value

    early = _run(crm, twilio, clock, policy, at=NOW + policy.retry_gap - timedelta(minutes=1))
    assert (early.dialled, dict(early.skipped)) == (0, {"retry_not_due": 1})

    later = _run(crm, twilio, clock, policy, at=NOW + policy.retry_gap + timedelta(minutes=1))
    assert later.dialled == 1
    assert len(recorder.calls) == 2
    assert recorder.calls[1]["data"]["To"] == recorder.calls[0]["data"]["To"]
    stored = repository.get(one.customer_id, one.appointment_id)
    assert stored.reminder_status == ReminderStatus.DIALLED
    assert stored.reminder_attempts == 2
    assert stored.reminder_call_sid == recorder.calls[1]["sid"]


def test_retries_stop_after_the_configured_attempts(crm, twilio, recorder, clock, one):
    policy = ReminderPolicy(calls_per_second=100, max_attempts=2, retry_gap=timedelta(minutes=10))
    at = NOW
    for _ in range(2):
        assert _run(crm, twilio, clock, policy, at=at).dialled == 1
        _status(crm, recorder, -1, "no-answer", at=at, policy=policy)
        at += timedelta(minutes=11)
    final = _run(crm, twilio, clock, policy, at=at + timedelta(hours=1))
    assert (final.dialled, dict(final.skipped)) == (0, {"attempts_exhausted": 1})
    assert len(recorder.calls) == 2


@pytest.mark.parametrize(
    "callbacks",
    [
        [("in-progress", "human"), ("completed", "human")],
        [("completed", None)],
        [
            ("answered", "unknown"),
            ("no-answer", None),
        ],  # a stray later callback cannot undo "answered"
    ],
)
def test_a_reminder_is_never_retried_after_the_customer_answered(
    crm, twilio, recorder, clock, policy, one, repository, callbacks
):
    _run(crm, twilio, clock, policy)
    for status, answered_by in callbacks:
        _status(crm, recorder, 0, status, answered_by, policy=policy)
    assert (
        repository.get(one.customer_id, one.appointment_id).reminder_status
        == ReminderStatus.ANSWERED
    )
    for minutes in (1, 45, 90):  # later runs the same evening (calling hours end at 20:00)
        again = _run(crm, twilio, clock, policy, at=NOW + timedelta(minutes=minutes))
        assert (again.dialled, dict(again.skipped)) == (0, {"already_reminded": 1})
    assert len(recorder.calls) == 1


def test_a_machine_answering_means_voicemail_and_no_retry(
    crm, twilio, recorder, clock, policy, one, repository
):
    _run(crm, twilio, clock, policy)
    _status(crm, recorder, 0, "in-progress", "machine_end_beep", policy=policy)
    _status(crm, recorder, 0, "completed", "machine_end_beep", policy=policy)
    assert (
        repository.get(one.customer_id, one.appointment_id).reminder_status
        == ReminderStatus.VOICEMAIL
    )
    assert crm.calls.get(recorder.calls[0]["sid"]).outcome == "voicemail"
    assert _run(crm, twilio, clock, policy, at=NOW + timedelta(hours=1)).skipped == {
        "already_reminded": 1
    }


def test_record_voicemail_from_the_webhook(crm, twilio, recorder, clock, policy, one, repository):
    _run(crm, twilio, clock, policy)
    sid = recorder.calls[0]["sid"]
    assert record_voicemail(crm, one.customer_id, one.appointment_id, call_sid=sid, now=NOW)
    assert (
        repository.get(one.customer_id, one.appointment_id).reminder_status
        == ReminderStatus.VOICEMAIL
    )
    assert crm.calls.get(sid).outcome == "voicemail"
    # A no-answer callback afterwards (cannot really happen, but callbacks repeat) changes nothing.
    _status(crm, recorder, 0, "no-answer", policy=policy)
    assert (
        repository.get(one.customer_id, one.appointment_id).reminder_status
        == ReminderStatus.VOICEMAIL
    )


def test_a_late_callback_of_an_earlier_attempt_changes_nothing(
    crm, twilio, recorder, clock, policy, one, repository
):
    _run(crm, twilio, clock, policy)
    _status(crm, recorder, 0, "no-answer", policy=policy)
    _run(crm, twilio, clock, policy, at=NOW + policy.retry_gap + timedelta(minutes=1))
    _status(crm, recorder, 0, "busy", policy=policy)  # repeated callback of attempt 1
    stored = repository.get(one.customer_id, one.appointment_id)
    assert stored.reminder_status == ReminderStatus.DIALLED
    assert stored.reminder_call_sid == recorder.calls[1]["sid"]


def test_inbound_calls_are_ignored(crm, one, repository):
    inbound = CallRecord(
        call_sid="CAinbound",
        direction=CallDirection.INBOUND,
        customer_number="+13105550001",
        customer_id=one.customer_id,
        appointment_id=one.appointment_id,
    )
    on_call_status(crm, inbound, "no-answer", None, NOW)
    assert repository.get(one.customer_id, one.appointment_id) == one


def test_a_callback_that_beats_the_dial_record_is_kept(crm, one, repository):
    token = repository.claim(one, NOW, timedelta(minutes=15), 3)
    record = CallRecord(
        call_sid="CAfast",
        direction=CallDirection.REMINDER,
        customer_number="+13105550001",
        customer_id=one.customer_id,
        appointment_id=one.appointment_id,
    )
    crm.calls.start(record, NOW)
    on_call_status(crm, record, "failed", None, NOW, policy=ReminderPolicy())
    assert repository.mark_dialled(one, token, "CAfast", NOW)
    stored = repository.get(one.customer_id, one.appointment_id)
    assert stored.reminder_status == ReminderStatus.FAILED
    assert (stored.reminder_call_sid, stored.reminder_attempts) == ("CAfast", 1)


def test_a_live_claim_is_left_alone_and_a_lapsed_one_is_taken_over(
    crm, twilio, recorder, clock, policy, one, repository
):
    assert repository.claim(one, NOW, policy.lease, policy.max_attempts)  # a run that then crashed
    during = _run(crm, twilio, clock, policy, at=NOW + timedelta(minutes=5))
    assert (during.dialled, dict(during.skipped)) == (0, {"in_progress": 1})
    after = _run(crm, twilio, clock, policy, at=NOW + policy.lease + timedelta(seconds=1))
    assert after.dialled == 1
    assert len(recorder.calls) == 1


def test_a_claim_fails_once_the_appointment_is_cancelled_or_moved(
    crm, shop, builder, repository, policy
):
    customer = builder.customer()
    cancelled = builder.appointment(customer, TOMORROW, 0)
    crm.appointments.cancel(cancelled, "changed plans")
    assert repository.claim(cancelled, NOW, policy.lease, policy.max_attempts) is None
    moved = builder.appointment(customer, TOMORROW, 1)
    crm.appointments.reschedule(
        moved, moved.start + timedelta(hours=2), moved.end + timedelta(hours=2), "B01"
    )
    assert repository.claim(moved, NOW, policy.lease, policy.max_attempts) is None


# --- the shop's time zone decides "tomorrow" and the calling hours ------------------------------


def test_outside_the_shops_calling_hours_nothing_is_dialled_and_all_wait(
    crm, twilio, recorder, clock, policy, one, repository
):
    late = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)  # 21:30 on 30 Nov in Los Angeles
    summary = _run(crm, twilio, clock, policy, at=late)
    assert summary.day == TOMORROW
    assert (summary.dialled, dict(summary.skipped)) == (0, {"outside_calling_hours": 1})
    assert recorder.requests == []
    assert (
        repository.get(one.customer_id, one.appointment_id).reminder_status
        == ReminderStatus.PENDING
    )


def test_the_shops_zone_not_utc_decides_tomorrow(
    crm, twilio, recorder, clock, policy, shop, builder
):
    on_utc_tomorrow = builder.appointment(builder.customer(), TOMORROW + timedelta(days=1), 0)
    on_shop_tomorrow = builder.appointment(builder.customer(), TOMORROW, 0)
    summary = _run(crm, twilio, clock, policy)  # 02:00 UTC 1 Dec = 18:00 30 Nov in LA
    assert summary.day == TOMORROW
    assert recorder.appointment_ids() == [on_shop_tomorrow.appointment_id]
    assert on_utc_tomorrow.appointment_id not in recorder.appointment_ids()


def test_calling_hours_closing_mid_run_stop_the_rest(
    crm, twilio, recorder, clock, policy, shop, builder, repository
):
    crm.shops.put_shop(
        shop.model_copy(update={"calling_hours": OpeningHours(opens=time(9), closes=time(18, 30))})
    )
    appointments = [builder.appointment(builder.customer(), TOMORROW, i) for i in range(4)]
    ticks = iter(
        [
            NOW,
            NOW,
            NOW + timedelta(minutes=10),
            NOW + timedelta(minutes=31),
            NOW + timedelta(minutes=32),
        ]
    )
    last = [NOW]

    def now():  # 18:00, 18:00, 18:10, then 18:31 local: calling hours end at 18:30
        last[0] = next(ticks, last[0])
        return last[0]

    summary = _run(crm, twilio, clock, policy, at=now)
    assert summary.dialled >= 1
    assert summary.skipped["outside_calling_hours"] >= 1
    assert summary.dialled + summary.skipped["outside_calling_hours"] == 4
    undialled = {a.appointment_id for a in appointments} - set(recorder.appointment_ids())
    for appointment in appointments:
        if appointment.appointment_id in undialled:
            stored = repository.get(appointment.customer_id, appointment.appointment_id)
            assert stored.reminder_status == ReminderStatus.PENDING


def test_recording_the_dial_twice_counts_one_attempt(crm, one, repository):
    token = repository.claim(one, NOW, timedelta(minutes=15), 3)
    assert repository.mark_dialled(one, token, "CAonce", NOW)
    assert repository.mark_dialled(one, token, "CAonce", NOW)  # a retried request: already applied
    stored = repository.get(one.customer_id, one.appointment_id)
    assert (stored.reminder_status, stored.reminder_attempts) == (ReminderStatus.DIALLED, 1)
    assert not repository.mark_dialled(one, "someone-else", "CAother", NOW)
