"""The reminder run against moto's DynamoDB, with Twilio's HTTP layer recorded."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from functions.reminders.run import run_reminders
from pitstop.dal.reminders import ReminderRepository
from pitstop.models import CallDirection, ReminderStatus
from pitstop.reminders import ReminderPolicy

from .conftest import ACCOUNT_SID, FROM_NUMBER, NOW, TOMORROW


def _run(crm, twilio, clock, policy, at=NOW, **kwargs):
    return run_reminders(
        crm,
        twilio,
        policy=policy,
        now=lambda: at,
        clock=clock.monotonic,
        sleep=clock.sleep,
        **kwargs,
    )


def test_a_busy_day_dials_exactly_the_due_appointments_once(
    crm, twilio, recorder, clock, policy, busy_day, repository
):
    summary = _run(crm, twilio, clock, policy)

    assert summary.day == TOMORROW  # the shop's tomorrow (LA), though it is already 1 Dec in UTC
    assert summary.found == 300
    assert summary.due == summary.dialled == len(busy_day.expected) > 150
    assert summary.failed == summary.deferred == 0
    assert dict(summary.skipped) == dict(Counter(busy_day.skipped.values()))
    dialled = recorder.appointment_ids()
    assert len(dialled) == len(set(dialled))
    assert set(dialled) == busy_day.expected

    # What Twilio receives: the account's Calls resource, the customer, the shop, AMD, callbacks.
    for request in recorder.calls:
        assert request["method"] == "POST"
        assert (
            request["url"] == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"
        )
        data = request["data"]
        appointment_id = parse_qs(urlparse(data["Url"]).query)["appointment_id"][0]
        assert data["To"] == busy_day.phones[appointment_id]
        assert data["From"] == FROM_NUMBER
        assert data["Url"].startswith(crm.settings.public_url + "/voice/reminder?appointment_id=")
        assert "customer_id=cus_" in data["Url"]
        assert data["MachineDetection"] == "DetectMessageEnd"
        callback = urlparse(data["StatusCallback"])
        assert data["StatusCallback"].startswith(crm.settings.public_url + "/voice/status?")
        assert parse_qs(callback.query)["appointment_id"] == [appointment_id]

    # Each dial left a call record and a dialled appointment carrying its SID.
    for request in recorder.calls[:20]:
        record = crm.calls.get(request["sid"])
        assert record.direction == CallDirection.REMINDER
        assert record.customer_number == request["data"]["To"]
        appointment_id = parse_qs(urlparse(request["data"]["Url"]).query)["appointment_id"][0]
        assert record.appointment_id == appointment_id
        stored = repository.get(record.customer_id, appointment_id)
        assert stored.reminder_status == ReminderStatus.DIALLED
        assert stored.reminder_call_sid == request["sid"]
        assert stored.reminder_attempts == 1


def test_the_same_batch_run_twice_dials_nothing_the_second_time(
    crm, twilio, recorder, clock, policy, small_day
):
    busy_day = small_day
    first = _run(crm, twilio, clock, policy)
    second = _run(crm, twilio, clock, policy)
    assert first.dialled == len(busy_day.expected)
    assert second.dialled == second.due == 0
    assert second.skipped["in_progress"] == len(busy_day.expected)  # dialled, awaiting the outcome
    assert len(recorder.calls) == len(busy_day.expected)


class _Overlapping(ReminderRepository):
    """Both runs have read the day before either claims anything: a genuine overlap."""

    def __init__(self, table, shop_id, barrier):
        super().__init__(table, shop_id)
        self._barrier = barrier

    def on_day(self, day):
        appointments = super().on_day(day)
        self._barrier.wait(timeout=30)
        return appointments


def test_two_concurrent_runs_never_dial_an_appointment_twice(
    crm, twilio, recorder, clock, policy, busy_day
):
    barrier = threading.Barrier(2)
    summaries, errors = [], []

    def run():
        try:
            repository = _Overlapping(crm.table, crm.settings.shop_id, barrier)
            summaries.append(_run(crm, twilio, clock, policy, repository=repository))
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert [s.due for s in summaries] == [len(busy_day.expected)] * 2
    dialled = recorder.appointment_ids()
    assert len(dialled) == len(set(dialled)) == len(busy_day.expected)
    assert sum(s.dialled for s in summaries) == len(busy_day.expected)
    assert sum(s.skipped["claimed_elsewhere"] for s in summaries) == len(busy_day.expected)


def test_dials_are_paced_to_the_configured_calls_per_second(
    crm, shop, builder, twilio, recorder, clock
):
    for i in range(20):
        builder.appointment(builder.customer(), TOMORROW, i)
    summary = _run(crm, twilio, clock, ReminderPolicy(calls_per_second=2))
    assert summary.dialled == 20
    times = [r["at"] for r in recorder.calls]
    assert times[-1] - times[0] >= (20 - 1) / 2
    assert all(b - a >= 0.5 - 1e-9 for a, b in itertools.pairwise(times))
    assert times[-1] - times[0] <= (20 - 1) / 2 + 0.01  # paced, not needlessly slow


def test_the_run_stops_before_the_lambda_time_limit_and_leaves_the_rest(
    crm, shop, builder, twilio, recorder, clock, repository
):
    appointments = [builder.appointment(builder.customer(), TOMORROW, i) for i in range(12)]
    policy = ReminderPolicy(calls_per_second=1, safety_margin_ms=15_000)
    started = clock.t

    def remaining():
        return int((20.0 - (clock.t - started)) * 1000)  # a 20 s Lambda budget

    first = _run(crm, twilio, clock, policy, remaining_ms=remaining)

    assert 0 < first.dialled < 12
    assert first.deferred == 12 - first.dialled
    assert all(
        20.0 - (r["at"] - started) >= 15.0 for r in recorder.calls
    )  # never inside the margin
    dialled = set(recorder.appointment_ids())
    left = [a for a in appointments if a.appointment_id not in dialled]
    assert len(left) == first.deferred
    for appointment in left:
        stored = repository.get(appointment.customer_id, appointment.appointment_id)
        assert stored.reminder_status == ReminderStatus.PENDING
        assert stored.reminder_claimed_until is None

    second = _run(crm, twilio, clock, policy)
    assert second.dialled == first.deferred
    assert set(recorder.appointment_ids()) == {a.appointment_id for a in appointments}
    assert len(recorder.calls) == 12


def test_a_dry_run_reports_and_changes_nothing(
    crm, twilio, recorder, clock, policy, small_day, repository
):
    busy_day = small_day
    before = repository.on_day(TOMORROW)
    summary = _run(crm, twilio, clock, policy, dry_run=True)

    assert summary.dry_run and summary.dialled == 0
    assert {c["appointment_id"] for c in summary.calls} == busy_day.expected
    assert all("*" in c["customer_number"] for c in summary.calls)  # numbers masked
    assert {s["appointment_id"]: s["reason"] for s in summary.skips} == busy_day.skipped
    assert recorder.requests == []
    assert repository.on_day(TOMORROW) == before
    assert crm.calls.get("CA" + "0" * 31 + "1") is None
    # …and a real run afterwards still dials everything due.
    assert _run(crm, twilio, clock, policy).dialled == len(busy_day.expected)


def test_do_not_call_is_respected(crm, shop, builder, twilio, recorder, clock, policy):
    quiet = builder.customer(do_not_call=True)
    chatty = builder.customer()
    builder.appointment(quiet, TOMORROW, 0)
    due = builder.appointment(chatty, TOMORROW, 1)
    builder.appointment(quiet, TOMORROW, 2)
    summary = _run(crm, twilio, clock, policy)
    assert recorder.appointment_ids() == [due.appointment_id]
    assert summary.skipped == {"do_not_call": 2}
    assert all(r["data"]["To"] != quiet.phone for r in recorder.calls)


def test_a_customer_set_to_do_not_call_after_a_no_answer_is_not_retried(
    crm, shop, builder, twilio, recorder, clock, policy
):
    from pitstop.reminders import on_call_status

    customer = builder.customer()
    builder.appointment(customer, TOMORROW, 0)
    _run(crm, twilio, clock, policy)
    on_call_status(
        crm, crm.calls.get(recorder.calls[0]["sid"]), "no-answer", None, NOW, policy=policy
    )
    crm.customers.set_do_not_call(customer.customer_id)
    later = _run(crm, twilio, clock, policy, at=NOW + timedelta(hours=1))
    assert later.skipped == {"do_not_call": 1}
    assert len(recorder.calls) == 1


def test_twilio_refusing_a_number_counts_as_failed_and_the_run_goes_on(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    bad = builder.customer()
    recorder.fail_for.add(bad.phone)
    failing = builder.appointment(bad, TOMORROW, 0)
    builder.appointment(builder.customer(), TOMORROW, 1)
    summary = _run(crm, twilio, clock, policy)
    assert (summary.dialled, summary.failed) == (1, 1)
    stored = repository.get(failing.customer_id, failing.appointment_id)
    assert stored.reminder_status == ReminderStatus.FAILED
    assert stored.reminder_attempts == 1
    assert stored.reminder_next_attempt == NOW + policy.retry_gap


def test_an_ambiguous_twilio_error_is_never_redialled(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    customer = builder.customer()
    recorder.fail_for.add(customer.phone)
    recorder.fail_status = 503  # the call may or may not have been placed
    appointment = builder.appointment(customer, TOMORROW, 0)
    assert _run(crm, twilio, clock, policy).failed == 1
    stored = repository.get(appointment.customer_id, appointment.appointment_id)
    assert (stored.reminder_status, stored.reminder_next_attempt) == (ReminderStatus.FAILED, None)
    later = _run(crm, twilio, clock, policy, at=NOW + timedelta(hours=1))
    assert (later.dialled, dict(later.skipped)) == (0, {"dial_failed": 1})
