"""Reminder bookkeeping on appointment items: who may dial which appointment, and what came of it.

A reminder call must never be placed twice, yet a run can crash, overlap another run, or be
re-delivered. Every state change here is therefore a conditional UpdateItem on the appointment
item itself: the claim succeeds for exactly one run, lapses after a lease (a crashed run's claim
is picked up by the next run), and an outcome is only written for the call that is current.

States (`reminder_status`): pending → dialling → dialled → answered | voicemail | no_answer | busy
| failed; the agent may later write confirmed / rescheduled / cancelled. no_answer, busy and
failed are claimable again once `reminder_next_attempt` has passed and attempts remain.

The claim *is* the intent to dial: it is written (with a fresh attempt id and the time) before
Twilio's `calls.create`, so a run that dies between the dial and its record leaves `dialling`
behind, never `pending`. Whoever takes over a lapsed intent first asks Twilio whether that
attempt placed a call (`functions/reminders/run.py`). The customer's do-not-call flag is copied
onto their appointments (`CustomerRepository.set_do_not_call`) so the claim's own condition
refuses an opt-out that happened after the run read the customers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from pitstop.dal import keys
from pitstop.dal.appointments import AppointmentRepository
from pitstop.dal.errors import NotFound
from pitstop.dal.table import Item, from_item
from pitstop.models import Appointment, AppointmentStatus, Customer, ReminderStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import (
        KeysAndAttributesOutputTypeDef,
        KeysAndAttributesTypeDef,
    )

    from pitstop.dal.table import AttributeValue

R = ReminderStatus
# An intent to dial: a run holds (or held) the appointment and may have placed its call.
INTENT = (R.CLAIMED, R.DIALLING)
# Outcomes after which the customer has been reached: never dialled again for this appointment.
REACHED = (R.ANSWERED, R.CONFIRMED, R.RESCHEDULED, R.CANCELLED, R.VOICEMAIL)
# Outcomes that may be retried (after the gap, while attempts remain).
RETRYABLE = (R.NO_ANSWER, R.BUSY, R.FAILED)
# Where each outcome may be written from: an outcome never overwrites a "reached" one, except
# that a machine (voicemail) detected late may replace a provisional `answered`.
_ALLOWED_FROM: dict[ReminderStatus, tuple[ReminderStatus, ...]] = {
    R.NO_ANSWER: (*INTENT, R.DIALLED),
    R.BUSY: (*INTENT, R.DIALLED),
    R.FAILED: (*INTENT, R.DIALLED),
    R.ANSWERED: (*INTENT, R.DIALLED, *RETRYABLE),
    R.VOICEMAIL: (*INTENT, R.DIALLED, R.ANSWERED, *RETRYABLE),
    R.CONFIRMED: (*INTENT, R.DIALLED, R.ANSWERED, R.PENDING, *RETRYABLE, R.CONFIRMED),
    R.RESCHEDULED: (*INTENT, R.DIALLED, R.ANSWERED, R.PENDING, *RETRYABLE, R.RESCHEDULED),
    R.CANCELLED: (*INTENT, R.DIALLED, R.ANSWERED, R.PENDING, *RETRYABLE, R.CANCELLED),
}


def stamp(moment: datetime) -> str:
    """A UTC timestamp of fixed width, so DynamoDB's string comparison orders it correctly."""
    if moment.tzinfo is None:
        raise ValueError("reminder timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class ReminderRepository:
    """Reminder state of one shop's appointments (reads through the by-day index, never a Scan)."""

    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._client = table.meta.client
        self.shop_id = shop_id

    # --- reads -------------------------------------------------------------------------
    def on_day(self, day: date) -> list[Appointment]:
        """Every appointment of the shop starting on `day` (shop-local date), in start order."""
        return AppointmentRepository(self._table).on_day(self.shop_id, day)

    def get(self, customer_id: str, appointment_id: str) -> Appointment:
        item = self._table.get_item(Key=self._key(customer_id, appointment_id), ConsistentRead=True)
        if "Item" not in item:
            raise NotFound(f"no appointment {appointment_id} for {customer_id}")
        return from_item(Appointment, item["Item"])

    def customers(self, customer_ids: Iterable[str]) -> dict[str, Customer | None]:
        """Profiles by id in batches of 100 (BatchGetItem); None for a missing or phoneless one."""
        wanted = sorted(set(customer_ids))
        found: dict[str, Customer | None] = dict.fromkeys(wanted)
        for offset in range(0, len(wanted), 100):
            request: Mapping[str, KeysAndAttributesTypeDef | KeysAndAttributesOutputTypeDef] | None
            request = {
                self._table.name: {
                    "Keys": [
                        keys.item_key(keys.customer(cid), keys.PROFILE)
                        for cid in wanted[offset : offset + 100]
                    ]
                }
            }
            while request:
                # The resource's client takes and returns plain Python values, as Table does.
                page = self._client.batch_get_item(RequestItems=request)
                for item in page["Responses"].get(self._table.name, []):
                    found[str(item["customer_id"])] = _customer_or_none(item)
                request = page.get("UnprocessedKeys") or None
        return found

    # --- writes ------------------------------------------------------------------------
    def claim(
        self, appointment: Appointment, now: datetime, lease: timedelta, max_attempts: int
    ) -> str | None:
        """Claim the appointment and record the intent to dial it now; the attempt id, or None.

        Succeeds only while the appointment is still scheduled at the time we read, its customer
        has not opted out, and its reminder is pending, or an intent whose lease has lapsed (a
        run died), or a retryable outcome whose next attempt is due with attempts left. One
        conditional write: of any number of concurrent runs, exactly one wins.
        """
        attempt = uuid.uuid4().hex
        values: dict[str, AttributeValue] = {
            ":scheduled": AppointmentStatus.SCHEDULED.value,
            ":read_start": appointment.start.isoformat(),
            ":false": False,
            ":pending": R.PENDING.value,
            ":claimed": R.CLAIMED.value,
            ":dialling": R.DIALLING.value,
            ":now": stamp(now),
            ":no_answer": R.NO_ANSWER.value,
            ":busy": R.BUSY.value,
            ":failed": R.FAILED.value,
            ":max": max_attempts,
            ":until": stamp(now + lease),
            ":attempt": attempt,
        }
        condition = (
            "#status = :scheduled AND #start = :read_start"
            " AND (attribute_not_exists(reminder_do_not_call) OR reminder_do_not_call = :false)"
            " AND (attribute_not_exists(reminder_status) OR reminder_status = :pending"
            " OR (reminder_status IN (:claimed, :dialling) AND reminder_claimed_until < :now)"
            " OR (reminder_status IN (:no_answer, :busy, :failed)"
            "     AND reminder_next_attempt <= :now"
            "     AND (attribute_not_exists(reminder_attempts) OR reminder_attempts < :max)))"
        )
        try:
            self._table.update_item(
                Key=self._key(appointment.customer_id, appointment.appointment_id),
                UpdateExpression="SET reminder_status = :dialling, reminder_claimed_until = :until,"
                " reminder_attempt_id = :attempt, reminder_dialling_since = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status", "#start": "start"},
                ExpressionAttributeValues=values,
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return attempt

    def mark_dialled(
        self, appointment: Appointment, token: str, call_sid: str, now: datetime
    ) -> bool:
        """Record the placed call under our claim; False if the claim was no longer ours.

        A status callback may beat this write (a call that fails at once): then the outcome it
        wrote stays and only the call SID and attempt count are added.
        """
        common = (
            "reminder_call_sid = :sid, reminder_last_dialled_at = :now, "
            "reminder_attempts = if_not_exists(reminder_attempts, :zero) + :one"
        )
        remove = " REMOVE reminder_claimed_until, reminder_next_attempt"
        values: dict[str, AttributeValue] = {
            ":sid": call_sid,
            ":now": stamp(now),
            ":zero": 0,
            ":one": 1,
            ":token": token,
        }
        key = self._key(appointment.customer_id, appointment.appointment_id)
        try:
            self._table.update_item(
                Key=key,
                UpdateExpression=f"SET reminder_status = :dialled, {common}{remove}",
                ConditionExpression="reminder_attempt_id = :token AND reminder_status = :dialling",
                ExpressionAttributeValues={
                    **values,
                    ":dialled": R.DIALLED.value,
                    ":dialling": R.DIALLING.value,
                },
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            pass
        try:
            # The SID test makes a retried request (first one applied, reply lost) count once.
            self._table.update_item(
                Key=key,
                UpdateExpression=f"SET {common}{remove}",
                ConditionExpression="reminder_attempt_id = :token AND "
                "(attribute_not_exists(reminder_call_sid) OR reminder_call_sid <> :sid)",
                ExpressionAttributeValues=values,
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            return (
                self.get(appointment.customer_id, appointment.appointment_id).reminder_call_sid
                == call_sid
            )

    def mark_failed(
        self, appointment: Appointment, token: str, now: datetime, retry_at: datetime | None
    ) -> bool:
        """The dial itself failed: count the attempt; retry at `retry_at` (None: never again)."""
        sets = (
            "reminder_status = :failed, reminder_last_dialled_at = :now, "
            "reminder_attempts = if_not_exists(reminder_attempts, :zero) + :one"
        )
        values: dict[str, AttributeValue] = {
            ":failed": R.FAILED.value,
            ":now": stamp(now),
            ":zero": 0,
            ":one": 1,
            ":token": token,
        }
        if retry_at is not None:
            sets += ", reminder_next_attempt = :next"
            values[":next"] = stamp(retry_at)
        update = f"SET {sets} REMOVE reminder_claimed_until" + (
            "" if retry_at else ", reminder_next_attempt"
        )
        try:
            self._table.update_item(
                Key=self._key(appointment.customer_id, appointment.appointment_id),
                UpdateExpression=update,
                ConditionExpression="reminder_attempt_id = :token",
                ExpressionAttributeValues=values,
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            return False

    def record_outcome(
        self,
        customer_id: str,
        appointment_id: str,
        outcome: ReminderStatus,
        now: datetime,
        call_sid: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """Write a call's outcome to the appointment; False when it does not apply (any more).

        With `call_sid`, the outcome applies only to the appointment's current call (a late,
        repeated callback of an earlier attempt changes nothing) — or to a claim whose dial has
        not been recorded yet. An outcome never overwrites one where the customer was reached;
        `retry_at` (retryable outcomes only) is when the next run may dial again.
        """
        outcome = ReminderStatus(outcome)
        allowed = _ALLOWED_FROM[outcome]
        names = {f":from{i}": s.value for i, s in enumerate(allowed)}
        values: dict[str, AttributeValue] = {":outcome": outcome.value, ":now": stamp(now), **names}
        condition = f"reminder_status IN ({', '.join(names)})"
        if call_sid:
            values[":sid"] = call_sid
            values[":claimed"] = R.CLAIMED.value
            values[":dialling"] = R.DIALLING.value
            condition += (
                " AND (reminder_call_sid = :sid OR (reminder_status IN (:claimed, :dialling) AND"
                " (attribute_not_exists(reminder_call_sid) OR reminder_call_sid <> :sid)))"
            )
        sets = "reminder_status = :outcome, reminder_outcome_at = :now"
        removes = ["reminder_claimed_until"]
        if outcome in RETRYABLE and retry_at is not None:
            sets += ", reminder_next_attempt = :next"
            values[":next"] = stamp(retry_at)
        else:
            removes.append("reminder_next_attempt")
        try:
            self._table.update_item(
                Key=self._key(customer_id, appointment_id),
                UpdateExpression=f"SET {sets} REMOVE {', '.join(removes)}",
                ConditionExpression=f"attribute_exists(pk) AND {condition}",
                ExpressionAttributeValues=values,
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            return False

    # --- building blocks -----------------------------------------------------------------
    @staticmethod
    def _key(customer_id: str, appointment_id: str) -> dict[str, str]:
        return keys.item_key(keys.customer(customer_id), keys.appointment_sk(appointment_id))


def _customer_or_none(item: Item) -> Customer | None:
    if not item.get("phone"):
        return None
    try:
        return from_item(Customer, item)
    except ValueError:
        return None
