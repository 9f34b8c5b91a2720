"""Reminder calls, the parts every component shares: the webhook URLs Twilio is given, the policy
(pace, attempts, gap, lease), and what a call's status means for its appointment's reminder.

The reminders Lambda dials; Twilio's status callbacks reach the webhook, which calls
`on_call_status`; the webhook's `/voice/reminder` calls `record_voicemail` when a machine answers.
Keeping the outcome rules here means the retry decision is made in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pitstop.dal.errors import NotFound
from pitstop.dal.reminders import INTENT, RETRYABLE
from pitstop.i18n import text
from pitstop.i18n.formats import spoken_datetime
from pitstop.models import (
    ANSWERED_CALL_STATUSES,
    Appointment,
    CallDirection,
    CallOutcome,
    CallRecord,
    CallStatus,
    ReminderStatus,
    TextDirection,
    TextExchange,
)
from pitstop.observability import logger, mask_phone
from pitstop.telephony import OptedOut

if TYPE_CHECKING:
    from pitstop.dal import Crm
    from pitstop.telephony import Telephony

# The `action` of the reminder text on the appointment: a reply is matched to it.
REMINDER_TEXT_ACTION = "reminder"
# Reminder outcomes after which the customer is texted (nobody took the call).
_TEXT_AFTER = frozenset({ReminderStatus.VOICEMAIL, ReminderStatus.NO_ANSWER, ReminderStatus.BUSY})

# Twilio final statuses of a call nobody picked up, and the reminder outcome each one means.
_UNREACHED = {
    CallStatus.NO_ANSWER: ReminderStatus.NO_ANSWER,
    CallStatus.BUSY: ReminderStatus.BUSY,
    CallStatus.FAILED: ReminderStatus.FAILED,
    CallStatus.CANCELED: ReminderStatus.FAILED,
}


class ReminderPolicy(BaseSettings):
    """How reminders are placed. Twilio's default account limit is 1 call per second.

    Read from `PITSTOP_CALLS_PER_SECOND`, `PITSTOP_REMINDER_MAX_ATTEMPTS`,
    `PITSTOP_REMINDER_RETRY_MINUTES`, `PITSTOP_REMINDER_LEASE_MINUTES` and
    `PITSTOP_REMINDER_SAFETY_MARGIN_MS` (unset → the defaults); the gap and the lease are given
    in minutes there and as `timedelta`s in code.
    """

    model_config = SettingsConfigDict(
        populate_by_name=True, env_ignore_empty=True, extra="ignore", frozen=True
    )

    calls_per_second: float = Field(1.0, gt=0, validation_alias="PITSTOP_CALLS_PER_SECOND")
    max_attempts: int = Field(3, validation_alias="PITSTOP_REMINDER_MAX_ATTEMPTS")
    retry_gap: timedelta = Field(
        timedelta(hours=2), validation_alias="PITSTOP_REMINDER_RETRY_MINUTES"
    )
    lease: timedelta = Field(
        timedelta(minutes=15), validation_alias="PITSTOP_REMINDER_LEASE_MINUTES"
    )
    # Stop dialling with less than this left of the Lambda's time: the rest waits for the next run.
    safety_margin_ms: int = Field(15_000, validation_alias="PITSTOP_REMINDER_SAFETY_MARGIN_MS")

    @field_validator("retry_gap", "lease", mode="before")
    @classmethod
    def _minutes(cls, value: object) -> object:
        """A bare number (as the environment gives it) is minutes; a `timedelta` passes as is."""
        if isinstance(value, str | int | float):
            return timedelta(minutes=float(value))
        return value


@lru_cache(maxsize=1)
def get_policy() -> ReminderPolicy:
    """The process-wide policy: the reminders Lambda dials and the webhook retries by it."""
    return ReminderPolicy()


def reminder_url(public_url: str, appointment: Appointment) -> str:
    """The webhook URL Twilio fetches TwiML from when the reminder call connects."""
    query = urlencode(
        {"appointment_id": appointment.appointment_id, "customer_id": appointment.customer_id}
    )
    return f"{public_url.rstrip('/')}/voice/reminder?{query}"


def status_callback_url(public_url: str) -> str:
    """The webhook URL Twilio posts call-status changes to."""
    return f"{public_url.rstrip('/')}/voice/status"


# The status-callback query of a reminder call: whose attempt (the claim's id) it belongs to.
ATTEMPT_PARAMETERS = ("customer_id", "appointment_id", "attempt_id")


def attempt_status_callback_url(public_url: str, appointment: Appointment, attempt_id: str) -> str:
    """The status-callback URL of one reminder attempt.

    It names the attempt, so a callback that arrives before the dial was recorded (the run died
    after `calls.create`) still finds its appointment instead of being dropped as unknown.
    """
    query = urlencode(
        dict(
            zip(
                ATTEMPT_PARAMETERS,
                (appointment.customer_id, appointment.appointment_id, attempt_id),
                strict=True,
            )
        )
    )
    return f"{status_callback_url(public_url)}?{query}"


def record_dial(
    crm: Crm,
    appointment: Appointment,
    attempt_id: str,
    call_sid: str,
    customer_number: str,
    at: datetime,
) -> bool:
    """Record a placed reminder call: the attempt is dialled, the call has its record.

    Both writes are idempotent, so the reminders run and an early status callback may both
    record the same dial. False if the attempt was no longer this claim's.
    """
    marked = crm.reminders.mark_dialled(appointment, attempt_id, call_sid, at)
    crm.calls.start(
        CallRecord(
            call_sid=call_sid,
            direction=CallDirection.REMINDER,
            customer_number=customer_number,
            customer_id=appointment.customer_id,
            appointment_id=appointment.appointment_id,
            shop_id=appointment.shop_id,
            status=CallStatus.QUEUED,
            started_at=at,
        ),
        at,
    )
    return marked


def adopt_unrecorded_dial(
    crm: Crm, call_sid: str, query: Mapping[str, str], customer_number: str, now: datetime
) -> CallRecord | None:
    """The record of a reminder call whose status callback beat the dial's record, or None.

    The callback's URL names the attempt (`attempt_status_callback_url`); while that attempt is
    still the appointment's open intent, the dial is recorded here, exactly as the run would
    have, and the callback then applies to it. Anything else (no attempt, another attempt, an
    outcome already stored) is not ours to adopt.
    """
    customer_id, appointment_id, attempt_id = (query.get(name) for name in ATTEMPT_PARAMETERS)
    if not (customer_id and appointment_id and attempt_id):
        return None
    try:
        appointment = crm.reminders.get(customer_id, appointment_id)
    except NotFound:
        return None
    if appointment.reminder_attempt_id != attempt_id or appointment.reminder_status not in INTENT:
        return None
    record_dial(crm, appointment, attempt_id, call_sid, customer_number, now)
    logger.info(
        "reminder dial recorded from its status callback",
        extra={"appointment_id": appointment_id, "call_sid": call_sid},
    )
    return crm.calls.get(call_sid)


def on_call_status(
    crm: Crm,
    call: CallRecord,
    status: CallStatus,
    answered_by: str | None,
    now: datetime,
    policy: ReminderPolicy | None = None,
    telephony: Telephony | None = None,
) -> None:
    """Apply a Twilio status callback of `call` to its appointment's reminder.

    Inbound calls: nothing to do. Reminder calls: nobody picked up (no-answer, busy, failed)
    → retry after the gap while attempts remain; a machine answered → voicemail; a person
    answered → `answered`, after which the reminder is never dialled again. Outcomes apply
    only to the appointment's current call, so repeated or late callbacks change nothing.
    """
    if call.direction != CallDirection.REMINDER or not call.appointment_id or not call.customer_id:
        return
    policy = policy or get_policy()
    outcome: ReminderStatus | None = None
    retry_at = None
    if status in _UNREACHED:
        outcome = _UNREACHED[status]
        retry_at = now + policy.retry_gap
    elif status in ANSWERED_CALL_STATUSES:
        outcome = ReminderStatus.VOICEMAIL if is_machine(answered_by) else ReminderStatus.ANSWERED
    if outcome is None:
        return
    applied = crm.reminders.record_outcome(
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
            "twilio_status": str(status),
            "answered_by": answered_by,
            "outcome": outcome.value,
            "applied": applied,
            "retry_at": retry_at.isoformat() if retry_at and applied else None,
        },
    )
    if applied and (outcome in RETRYABLE or outcome == ReminderStatus.VOICEMAIL):
        crm.calls.set_fields(call.call_sid, {"outcome": CallOutcome(outcome.value).value})
    if applied and telephony is not None and outcome in _TEXT_AFTER:
        text_reminder(crm, telephony, call.customer_id, call.appointment_id, now)


def record_voicemail(
    crm: Crm,
    customer_id: str,
    appointment_id: str,
    call_sid: str | None = None,
    now: datetime | None = None,
    telephony: Telephony | None = None,
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
        crm.calls.set_fields(call_sid, {"outcome": CallOutcome.VOICEMAIL.value})
    logger.info(
        "reminder voicemail",
        extra={"appointment_id": appointment_id, "call_sid": call_sid, "applied": applied},
    )
    if applied and telephony is not None:
        text_reminder(crm, telephony, customer_id, appointment_id, now)
    return applied


def text_reminder(
    crm: Crm, telephony: Telephony, customer_id: str, appointment_id: str, now: datetime
) -> bool:
    """Text the reminder with its reply options, once per appointment; True if it was sent.

    Only to a customer who agreed to texts, about an appointment still active; the claim on the
    appointment makes a repeated callback (voicemail, then `completed`) send one text."""
    file = crm.customers.file(customer_id)
    appointment = next((a for a in file.appointments if a.appointment_id == appointment_id), None)
    if appointment is None or not appointment.active or appointment.start <= now:
        return False
    if not file.customer.sms_opt_in:
        return False
    if not crm.texts.claim_reminder_text(customer_id, appointment_id, now):
        return False
    catalog = crm.shops.catalog()
    service = catalog.service(appointment.service_type)
    start = appointment.start.astimezone(ZoneInfo(catalog.shop.timezone))
    lang = catalog.settings.language
    body = text(
        lang,
        "sms.reminder",
        shop_name=catalog.shop.name,
        service=service.name.lower() if service else text(lang, "sms.reminder_service"),
        when=spoken_datetime(start, lang),
        options=text(lang, "sms.reply_options"),
    )
    try:
        telephony.send_sms(file.customer.phone, body)
    except OptedOut:
        crm.customers.set_sms_opt_in(customer_id, False)
        return False
    crm.texts.add(
        TextExchange(
            appointment_id=appointment_id,
            customer_id=customer_id,
            direction=TextDirection.OUTBOUND,
            body=body,
            at=now,
            action=REMINDER_TEXT_ACTION,
        )
    )
    logger.info(
        "reminder texted",
        extra={
            "appointment_id": appointment_id,
            "customer_number": mask_phone(file.customer.phone),
        },
    )
    return True


def is_machine(answered_by: str | None) -> bool:
    """Twilio AMD's `AnsweredBy`: machine_start, machine_end_beep/silence/other, fax: no person."""
    if not answered_by:
        return False
    return answered_by.startswith("machine") or answered_by == "fax"
