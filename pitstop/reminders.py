"""Reminder calls, the parts every component shares: the webhook URLs Twilio is given, the policy
(pace, attempts, gap, lease), and what a call's status means for its appointment's reminder.

The reminders Lambda dials; Twilio's status callbacks reach the webhook, which calls
`on_call_status`; the webhook's `/voice/reminder` calls `record_voicemail` when a machine answers.
Keeping the outcome rules here means the retry decision is made in exactly one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from pitstop.dal.reminders import RETRYABLE
from pitstop.observability import logger
from pitstop.models import Appointment, CallDirection, CallRecord, ReminderStatus


# Twilio final statuses of a call nobody picked up, and the reminder outcome each one means.
_UNREACHED = {
    "no-answer": ReminderStatus.NO_ANSWER,
    "busy": ReminderStatus.BUSY,
    "failed": ReminderStatus.FAILED,
    "canceled": ReminderStatus.FAILED,
}
_ANSWERED = ("in-progress", "answered", "completed")


@dataclass(frozen=True)
class ReminderPolicy:
    """How reminders are placed. Twilio's default account limit is 1 call per second."""

    calls_per_second: float = 1.0
    max_attempts: int = 3
    retry_gap: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=15)
    # Stop dialling when less than this is left of the Lambda's time: the rest waits for the next run.
    safety_margin_ms: int = 15_000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ReminderPolicy:
        """`PITSTOP_CALLS_PER_SECOND`, `PITSTOP_REMINDER_MAX_ATTEMPTS`,
        `PITSTOP_REMINDER_RETRY_MINUTES`, `PITSTOP_REMINDER_LEASE_MINUTES` (unset → defaults)."""
        env = os.environ if env is None else env
        default = cls()
        cps = float(env.get("PITSTOP_CALLS_PER_SECOND") or default.calls_per_second)
        if cps <= 0:
            raise ValueError("PITSTOP_CALLS_PER_SECOND must be positive")
        return cls(
            calls_per_second=cps,
            max_attempts=int(env.get("PITSTOP_REMINDER_MAX_ATTEMPTS") or default.max_attempts),
            retry_gap=timedelta(
                minutes=float(
                    env.get("PITSTOP_REMINDER_RETRY_MINUTES")
                    or default.retry_gap.total_seconds() / 60
                )
            ),
            lease=timedelta(
                minutes=float(
                    env.get("PITSTOP_REMINDER_LEASE_MINUTES") or default.lease.total_seconds() / 60
                )
            ),
        )


def reminder_url(public_url: str, appointment: Appointment) -> str:
    """The webhook URL Twilio fetches TwiML from when the reminder call connects."""
    query = urlencode(
        {"appointment_id": appointment.appointment_id, "customer_id": appointment.customer_id}
    )
    return f"{public_url.rstrip('/')}/voice/reminder?{query}"


def status_callback_url(public_url: str) -> str:
    """The webhook URL Twilio posts call-status changes to."""
    return f"{public_url.rstrip('/')}/voice/status"


def on_call_status(
    crm,
    call: CallRecord,
    status: str,
    answered_by: str | None,
    now: datetime,
    policy: ReminderPolicy | None = None,
) -> None:
    """Apply a Twilio status callback of `call` to its appointment's reminder.

    Inbound calls: nothing to do. Reminder calls: nobody picked up (no-answer, busy, failed)
    → retry after the gap while attempts remain; a machine answered → voicemail; a person
    answered → `answered`, after which the reminder is never dialled again. Outcomes apply
    only to the appointment's current call, so repeated or late callbacks change nothing.
    """
    if call.direction != CallDirection.REMINDER or not call.appointment_id or not call.customer_id:
        return
    policy = policy or ReminderPolicy.from_env()
    repository = crm.reminders
    status = (status or "").lower()
    outcome: ReminderStatus | None = None
    retry_at = None
    if status in _UNREACHED:
        outcome = _UNREACHED[status]
        retry_at = now + policy.retry_gap
    elif status in _ANSWERED:
        outcome = ReminderStatus.VOICEMAIL if is_machine(answered_by) else ReminderStatus.ANSWERED
    if outcome is None:
        return
    applied = repository.record_outcome(
        call.customer_id,
        call.appointment_id,
        outcome,
        now,
        call_sid=call.call_sid,
        retry_at=retry_at,
    )
    logger.info(
        "reminder outcome",
        extra={
            "appointment_id": call.appointment_id,
            "call_sid": call.call_sid,
            "twilio_status": status,
            "answered_by": answered_by,
            "outcome": outcome.value,
            "applied": applied,
            "retry_at": retry_at.isoformat() if retry_at and applied else None,
        },
    )
    if applied and (outcome in RETRYABLE or outcome == ReminderStatus.VOICEMAIL):
        crm.calls.set_fields(call.call_sid, {"outcome": outcome.value})


def record_voicemail(
    crm,
    customer_id: str,
    appointment_id: str,
    call_sid: str | None = None,
    now: datetime | None = None,
) -> bool:
    """A machine answered the reminder call and the webhook left the voicemail message.

    The reminder counts as delivered (never dialled again). With `call_sid` the call record's
    outcome is set too and only that call's appointment state is touched. True if applied.
    """
    now = now or datetime.now(UTC)
    applied = crm.reminders.record_outcome(
        customer_id, appointment_id, ReminderStatus.VOICEMAIL, now, call_sid=call_sid
    )
    if applied and call_sid:
        crm.calls.set_fields(call_sid, {"outcome": ReminderStatus.VOICEMAIL.value})
    logger.info(
        "reminder voicemail",
        extra={"appointment_id": appointment_id, "call_sid": call_sid, "applied": applied},
    )
    return applied


def is_machine(answered_by: str | None) -> bool:
    """Twilio AMD's `AnsweredBy`: machine_start, machine_end_beep/silence/other, fax → not a person."""
    return bool(answered_by) and (answered_by.startswith("machine") or answered_by == "fax")
