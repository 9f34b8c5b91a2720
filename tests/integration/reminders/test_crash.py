"""At most one dial per reminder even when the run dies, and opt-outs during a run are honoured.

The process dying is a `BaseException` raised inside the telephony port: nothing in the run
catches it, exactly as nothing runs after a SIGKILL. Twilio is the real client over the recorded
HTTP layer, which also answers the Calls list the way Twilio does (by To/From, `StartTime>` by day).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qsl, urlparse

import pytest

from functions.reminders.run import run_reminders
from functions.webhook.flows import record_status
from pitstop.dal.reminders import ReminderRepository
from pitstop.models import ReminderStatus
from pitstop.reminders import adopt_unrecorded_dial

from .conftest import NOW, TOMORROW


class Killed(BaseException):
    """The run's process dies here (not an `Exception`: no handler in the run sees it)."""


class Dies:
    """The telephony port with a crash injected around the `n`-th `create_call`."""

    def __init__(self, inner, n: int = 1, placed: bool = True):
        self._inner, self._n, self._placed, self._count = inner, n, placed, 0

    def create_call(self, *args, **kwargs):
        self._count += 1
        if self._count < self._n:
            return self._inner.create_call(*args, **kwargs)
        if self._placed:
            self._inner.create_call(*args, **kwargs)  # Twilio has the call …
        raise Killed  # … and the run dies before it records it

    def __getattr__(self, name):
        return getattr(self._inner, name)


def _run(crm, telephony, clock, policy, at=NOW, **kwargs):
    return run_reminders(
        crm,
        telephony,
        policy=policy,
        now=lambda: at,
        clock=clock.monotonic,
        sleep=clock.sleep,
        **kwargs,
    )


def test_a_run_killed_between_dial_and_record_never_doubles_the_call(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    customer = builder.customer()
    appointment = builder.appointment(customer, TOMORROW, 0)
    with pytest.raises(Killed):
        _run(crm, Dies(twilio), clock, policy)
    [first] = recorder.calls
    left = repository.get(customer.customer_id, appointment.appointment_id)
    assert left.reminder_status == ReminderStatus.DIALLING and left.reminder_call_sid is None

    later = NOW + timedelta(hours=1)  # the next scheduled run, the dead run's lease long lapsed
    recorder.now = later
    summary = _run(crm, twilio, clock, policy, at=later)

    assert (summary.dialled, summary.reconciled) == (0, 1)
    assert len(recorder.calls) == 1  # still one dial
    stored = repository.get(customer.customer_id, appointment.appointment_id)
    assert (stored.reminder_status, stored.reminder_call_sid) == (
        ReminderStatus.DIALLED,
        first["sid"],
    )
    assert stored.reminder_attempts == 1
    # The first call's status callbacks now land on the appointment.
    form = {"CallSid": first["sid"], "CallStatus": "no-answer", "To": customer.phone}
    assert record_status(crm, form, {}, later)
    stored = repository.get(customer.customer_id, appointment.appointment_id)
    assert stored.reminder_status == ReminderStatus.NO_ANSWER
    assert crm.calls.get(first["sid"]).outcome == "no_answer"
    # …and a run after that sees an outcome, not an intent: nothing is dialled again yet.
    assert _run(crm, twilio, clock, policy, at=later + timedelta(minutes=5)).dialled == 0


def _callback_query(placed: dict) -> dict[str, str]:
    """The query of the status-callback URL the run gave Twilio for this call."""
    return dict(parse_qsl(urlparse(placed["data"]["StatusCallback"]).query))


def test_a_status_callback_before_the_dial_was_recorded_lands_on_its_attempt(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    """The run dies after `calls.create`; the call's callback comes before any reconcile."""
    customer = builder.customer()
    appointment = builder.appointment(customer, TOMORROW, 0)
    with pytest.raises(Killed):
        _run(crm, Dies(twilio), clock, policy)
    [first] = recorder.calls
    left = repository.get(customer.customer_id, appointment.appointment_id)
    query = _callback_query(first)
    assert query["attempt_id"] == left.reminder_attempt_id
    assert crm.calls.get(first["sid"]) is None  # nothing recorded the dial

    soon = NOW + timedelta(seconds=40)
    form = {"CallSid": first["sid"], "CallStatus": "no-answer", "To": customer.phone}
    assert record_status(crm, form, query, soon)
    record = crm.calls.get(first["sid"])
    assert record is not None and record.appointment_id == appointment.appointment_id
    stored = repository.get(customer.customer_id, appointment.appointment_id)
    assert (stored.reminder_status, stored.reminder_call_sid, stored.reminder_attempts) == (
        ReminderStatus.NO_ANSWER,
        first["sid"],
        1,
    )
    # The next run finds an outcome, not an intent: no redial, nothing left to reconcile.
    recorder.now = NOW + timedelta(hours=1)
    summary = _run(crm, twilio, clock, policy, at=NOW + timedelta(hours=1))
    assert (summary.dialled, summary.reconciled) == (0, 0)
    assert len(recorder.calls) == 1


def test_a_callback_naming_another_attempt_is_not_adopted(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    customer = builder.customer()
    appointment = builder.appointment(customer, TOMORROW, 0)
    with pytest.raises(Killed):
        _run(crm, Dies(twilio), clock, policy)
    [first] = recorder.calls
    stale = {**_callback_query(first), "attempt_id": "an-earlier-attempt"}
    assert adopt_unrecorded_dial(crm, first["sid"], stale, customer.phone, NOW) is None
    assert adopt_unrecorded_dial(crm, first["sid"], {}, customer.phone, NOW) is None
    left = repository.get(customer.customer_id, appointment.appointment_id)
    assert (left.reminder_status, left.reminder_call_sid) == (ReminderStatus.DIALLING, None)
    assert crm.calls.get(first["sid"]) is None


def test_a_run_killed_before_its_dial_went_out_is_dialled_by_the_next_run(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    customer = builder.customer()
    appointment = builder.appointment(customer, TOMORROW, 0)
    with pytest.raises(Killed):
        _run(crm, Dies(twilio, placed=False), clock, policy)
    assert recorder.calls == []

    later = NOW + timedelta(hours=1)
    recorder.now = later
    summary = _run(crm, twilio, clock, policy, at=later)
    assert (summary.dialled, summary.reconciled) == (1, 0)
    [call] = recorder.calls
    stored = repository.get(customer.customer_id, appointment.appointment_id)
    assert stored.reminder_call_sid == call["sid"]


def test_reconciling_ignores_a_call_to_the_same_number_for_another_appointment(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    customer = builder.customer()  # two appointments tomorrow, one phone
    first = builder.appointment(customer, TOMORROW, 0)
    second = builder.appointment(customer, TOMORROW, 1)
    with pytest.raises(Killed):
        _run(crm, Dies(twilio, n=2, placed=False), clock, policy)
    assert len(recorder.calls) == 1  # the first appointment's call, recorded

    later = NOW + timedelta(hours=1)
    recorder.now = later
    summary = _run(crm, twilio, clock, policy, at=later)
    assert (summary.dialled, summary.reconciled) == (1, 0)  # the other call is not its dial
    sids = {
        a.appointment_id: repository.get(customer.customer_id, a.appointment_id).reminder_call_sid
        for a in (first, second)
    }
    assert sids == {
        first.appointment_id: recorder.calls[0]["sid"],
        second.appointment_id: recorder.calls[1]["sid"],
    }


class _OptOutAfterReading(ReminderRepository):
    """The customer opts out (on another call) just after the run read their profile."""

    def __init__(self, crm, customer_id):
        super().__init__(crm.table, crm.settings.shop_id)
        self._crm, self._customer_id = crm, customer_id

    def customers(self, customer_ids):
        found = super().customers(customer_ids)
        self._crm.customers.set_do_not_call(self._customer_id)
        return found


def test_a_customer_who_opts_out_during_the_run_is_not_dialled(
    crm, shop, builder, twilio, recorder, clock, policy, repository
):
    quitter, other = builder.customer(), builder.customer()
    mine = builder.appointment(quitter, TOMORROW, 0)
    builder.appointment(other, TOMORROW, 1)
    summary = _run(
        crm, twilio, clock, policy, repository=_OptOutAfterReading(crm, quitter.customer_id)
    )
    assert summary.due == 2  # the run still thought both were due …
    assert [r["data"]["To"] for r in recorder.calls] == [other.phone]  # … the claim said no
    stored = repository.get(quitter.customer_id, mine.appointment_id)
    assert stored.reminder_status == ReminderStatus.PENDING and stored.reminder_do_not_call
