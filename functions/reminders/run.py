"""One reminder run: select the day's appointments → decide who is due → claim → dial, paced.

Runs the same way from the scheduled Lambda and from `pitstop reminders run`. Every clock is
injectable (wall time for calling hours and leases, a monotonic clock and a sleeper for the
pace, the Lambda's remaining time), so tests check the pace and the time limit without sleeping.
Each appointment ends the run in exactly one bucket: dialled, reconciled (an earlier run's
unrecorded dial found at Twilio and recorded), skipped (with a reason), failed, or deferred
(time ran out: it stays pending for the next run).

At most one dial per attempt, even when a run dies: the claim records the intent before
`calls.create`, and an intent left behind by a dead run is reconciled with Twilio's call list
for that number before anything is dialled again (`_Dialler._reconcile`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from twilio.base.exceptions import TwilioRestException

from pitstop.dal.reminders import INTENT, REACHED, RETRYABLE, ReminderRepository
from pitstop.models import (
    Appointment,
    AppointmentStatus,
    Customer,
    ReminderStatus,
    Shop,
)
from pitstop.observability import logger, mask_phone
from pitstop.reminders import (
    ReminderPolicy,
    attempt_status_callback_url,
    get_policy,
    record_dial,
    reminder_url,
)
from pitstop.telephony import Telephony

if TYPE_CHECKING:
    from pitstop.dal import Crm

# Skip reasons (metric dimension `reason`).
DO_NOT_CALL = "do_not_call"
CANCELLED = "cancelled"
ALREADY_CONFIRMED = "already_confirmed"
NOT_SCHEDULED = "not_scheduled"
ALREADY_REMINDED = "already_reminded"
IN_PROGRESS = "in_progress"  # claimed by another run, or dialled and awaiting its outcome
RETRY_NOT_DUE = "retry_not_due"
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
OUTSIDE_CALLING_HOURS = "outside_calling_hours"
NO_PHONE = "no_phone"
IN_THE_PAST = "in_the_past"
CLAIMED_ELSEWHERE = "claimed_elsewhere"  # lost the conditional claim to a concurrent run
DIAL_FAILED = "dial_failed"  # an earlier dial failed in a way that may have placed the call


@dataclass
class RunSummary:
    """What a run did; `to_dict()` is the `--json` output and the Lambda's return value."""

    shop_id: str
    day: date
    dry_run: bool = False
    found: int = 0  # appointments in the window
    due: int = 0  # of those, the ones to dial now (before the claim)
    dialled: int = 0
    reconciled: int = 0  # a dead run's dial, found at Twilio and recorded instead of redialled
    failed: int = 0
    deferred: int = 0  # due but left for the next run (time limit)
    skipped: Counter = field(default_factory=Counter)
    calls: list[dict] = field(default_factory=list)  # dialled (or, dry run, would dial)
    skips: list[dict] = field(default_factory=list)  # appointment_id + reason

    def skip(self, appointment: Appointment, reason: str) -> None:
        self.skipped[reason] += 1
        self.skips.append({"appointment_id": appointment.appointment_id, "reason": reason})
        logger.info(
            "reminder skipped",
            extra={"appointment_id": appointment.appointment_id, "reason": reason},
        )

    def to_dict(self) -> dict:
        return {
            "shop_id": self.shop_id,
            "day": self.day.isoformat(),
            "dry_run": self.dry_run,
            "found": self.found,
            "due": self.due,
            "dialled": self.dialled,
            "reconciled": self.reconciled,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": dict(sorted(self.skipped.items())),
            "calls": self.calls,
            "skips": self.skips,
        }


class Pacer:
    """Spaces dials at least 1/cps apart on an injectable monotonic clock."""

    def __init__(
        self, calls_per_second: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ):
        self._interval = 1.0 / calls_per_second
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None

    def wait_needed(self) -> float:
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self._interval - self._clock())

    def wait(self) -> None:
        needed = self.wait_needed()
        if needed > 0:
            self._sleep(needed)
        self._last = self._clock()


def reminder_day(shop: Shop, now: datetime) -> date:
    """Tomorrow, in the shop's time zone."""
    return (now.astimezone(ZoneInfo(shop.timezone)) + timedelta(days=1)).date()


def within_calling_hours(shop: Shop, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(shop.timezone)).time()
    return shop.calling_hours.opens <= local < shop.calling_hours.closes


def skip_reason(
    appointment: Appointment, customer: Customer | None, now: datetime, policy: ReminderPolicy
) -> str | None:
    """Why this appointment is not dialled now, or None when it is due (subject to the claim)."""
    reason = _status_reason(appointment.status) or _reminder_reason(appointment, now, policy)
    if reason:
        return reason
    if customer is None:
        return NO_PHONE
    if customer.do_not_call:
        return DO_NOT_CALL
    if appointment.start <= now:
        return IN_THE_PAST
    return None


def _status_reason(status: AppointmentStatus) -> str | None:
    """Only a scheduled (not yet confirmed) appointment gets a reminder."""
    if status == AppointmentStatus.CANCELLED:
        return CANCELLED
    if status == AppointmentStatus.CONFIRMED:
        return ALREADY_CONFIRMED
    return None if status == AppointmentStatus.SCHEDULED else NOT_SCHEDULED


def _reminder_reason(appointment: Appointment, now: datetime, policy: ReminderPolicy) -> str | None:
    """What the reminder's own state says: reached, in flight, or a retry not (yet) allowed."""
    state = appointment.reminder_status
    if state in REACHED:
        return ALREADY_REMINDED
    claimed_until = appointment.reminder_claimed_until
    if state == ReminderStatus.DIALLED or (
        state in INTENT and claimed_until and claimed_until > now
    ):
        return IN_PROGRESS
    if state not in RETRYABLE:
        return None
    if appointment.reminder_attempts >= policy.max_attempts:
        return ATTEMPTS_EXHAUSTED
    if appointment.reminder_next_attempt is None:
        return DIAL_FAILED  # a failure we must not retry (the dial may have gone out)
    return RETRY_NOT_DUE if appointment.reminder_next_attempt > now else None


def run_reminders(
    crm: Crm,
    telephony: Telephony,
    *,
    day: date | None = None,
    dry_run: bool = False,
    policy: ReminderPolicy | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    remaining_ms: Callable[[], int] | None = None,
    repository: ReminderRepository | None = None,
    enforce_calling_hours: bool = True,
) -> RunSummary:
    """Remind the customers of `day`'s appointments (default: tomorrow in the shop's zone).

    `enforce_calling_hours=False` is for the local stack only (outbox telephony: nobody is
    phoned), so a developer can play reminders at any hour; deployed runs always enforce them.
    """
    policy = policy or get_policy()
    repository = repository or crm.reminders
    shop = crm.shops.catalog().shop
    started = now()
    day = day or reminder_day(shop, started)
    summary = RunSummary(shop_id=shop.shop_id, day=day, dry_run=dry_run)

    appointments = repository.on_day(day)
    summary.found = len(appointments)
    customers = repository.customers(a.customer_id for a in appointments) if appointments else {}
    due: list[tuple[Appointment, Customer]] = []
    for appointment in appointments:
        customer = customers.get(appointment.customer_id)
        reason = skip_reason(appointment, customer, started, policy)
        if reason is None and enforce_calling_hours and not within_calling_hours(shop, started):
            reason = OUTSIDE_CALLING_HOURS
        if reason:
            summary.skip(appointment, reason)
        elif customer is not None:  # always, as skip_reason says NO_PHONE otherwise
            due.append((appointment, customer))
    summary.due = len(due)
    logger.info(
        "reminder run",
        extra={
            "shop_id": shop.shop_id,
            "day": day.isoformat(),
            "found": summary.found,
            "due": summary.due,
            "dry_run": dry_run,
        },
    )
    if dry_run:
        summary.calls = [_call_entry(a, c) for a, c in due]
        return summary

    dialler = _Dialler(crm, telephony, repository, policy, summary, now)
    pacer = Pacer(policy.calls_per_second, clock, sleep)
    for index, (appointment, customer) in enumerate(due):
        if (
            remaining_ms is not None
            and remaining_ms() - pacer.wait_needed() * 1000 < policy.safety_margin_ms
        ):
            summary.deferred = len(due) - index
            logger.info(
                "reminder run stopped before the time limit",
                extra={"deferred": summary.deferred, "remaining_ms": remaining_ms()},
            )
            break
        at = now()
        if enforce_calling_hours and not within_calling_hours(shop, at):
            summary.skip(appointment, OUTSIDE_CALLING_HOURS)
            continue
        token = repository.claim(appointment, at, policy.lease, policy.max_attempts)
        if token is None:
            summary.skip(appointment, CLAIMED_ELSEWHERE)
            continue
        pacer.wait()
        dialler.dial(appointment, customer, token)
    return summary


@dataclass
class _Dialler:
    """Places one run's claimed reminder calls; a failed dial is counted, never raised."""

    crm: Crm
    telephony: Telephony
    repository: ReminderRepository
    policy: ReminderPolicy
    summary: RunSummary
    now: Callable[[], datetime]

    def dial(self, appointment: Appointment, customer: Customer, token: str) -> None:
        log_keys = {
            "appointment_id": appointment.appointment_id,
            "customer_number": mask_phone(customer.phone),
        }
        if appointment.reminder_status in INTENT and not self._reconcile(
            appointment, customer, token, log_keys
        ):
            return
        public_url = self.crm.settings.public_url
        try:
            call_sid = self.telephony.create_call(
                customer.phone,
                url=reminder_url(public_url, appointment),
                status_callback=attempt_status_callback_url(public_url, appointment, token),
                machine_detection=True,
            )
        except Exception as error:  # noqa: BLE001 - one bad number must not stop the run
            self._failed(appointment, token, error, log_keys)
            return
        self._record(appointment, customer, token, call_sid, log_keys)

    def _reconcile(
        self, appointment: Appointment, customer: Customer, token: str, log_keys: dict[str, Any]
    ) -> bool:
        """A dead run left an intent to dial: did its call go out? True if we may dial now.

        Twilio's call list for the number since the intent answers it. A call found there that
        is not another appointment's is that run's dial: it is recorded (so its status callbacks
        land on this appointment) instead of dialling again. If Twilio cannot answer, nothing is
        dialled: the claim lapses and a later run asks again.
        """
        since = appointment.reminder_dialling_since or (
            appointment.reminder_claimed_until - self.policy.lease
            if appointment.reminder_claimed_until
            else None
        )
        if since is None:
            return True
        try:
            placed = [
                sid
                for sid in self.telephony.calls_to(customer.phone, since)
                if self._may_be_ours(sid, appointment)
            ]
        except Exception as error:  # noqa: BLE001 - unknown is not "not placed": do not dial
            self.summary.failed += 1
            logger.warning(
                "reminder intent not reconciled; left for a later run",
                extra={**log_keys, "error": type(error).__name__},
            )
            return False
        if not placed:
            return True
        self.summary.reconciled += 1
        self._record(appointment, customer, token, placed[0], log_keys, reconciled=True)
        return False

    def _may_be_ours(self, call_sid: str, appointment: Appointment) -> bool:
        """A call is this appointment's unless its record says it belongs to another one."""
        record = self.crm.calls.get(call_sid)
        return record is None or record.appointment_id == appointment.appointment_id

    def _failed(
        self, appointment: Appointment, token: str, error: Exception, log_keys: dict[str, Any]
    ) -> None:
        at = self.now()
        # Twilio refused the request (4xx): nothing was placed, so retry later. Anything else
        # (5xx, timeout, connection reset) may have placed the call: never redial it.
        refused = isinstance(error, TwilioRestException) and 400 <= (error.status or 0) < 500
        attempts_left = appointment.reminder_attempts + 1 < self.policy.max_attempts
        retry_at = at + self.policy.retry_gap if refused and attempts_left else None
        self.repository.mark_failed(appointment, token, at, retry_at)
        self.summary.failed += 1
        logger.warning(
            "reminder dial failed",
            extra={
                **log_keys,
                "error": type(error).__name__,
                "retry_at": retry_at.isoformat() if retry_at else None,
            },
        )

    def _record(
        self,
        appointment: Appointment,
        customer: Customer,
        token: str,
        call_sid: str,
        log_keys: dict[str, Any],
        reconciled: bool = False,
    ) -> None:
        at = self.now()
        if not reconciled:
            self.summary.dialled += 1
        # The call is out: from here nothing may raise, or the run would stop with others
        # undialled. Marking it dialled comes first: it keeps the next run from dialling again.
        try:
            if not record_dial(self.crm, appointment, token, call_sid, customer.phone, at):
                logger.warning(
                    "reminder claim lapsed before the dial was recorded",
                    extra={**log_keys, "call_sid": call_sid},
                )
        except Exception:
            logger.exception(
                "reminder dialled but not recorded", extra={**log_keys, "call_sid": call_sid}
            )
        self.summary.calls.append(
            {**_call_entry(appointment, customer), "call_sid": call_sid, "reconciled": reconciled}
        )
        logger.info(
            "reminder dial reconciled" if reconciled else "reminder dialled",
            extra={**log_keys, "call_sid": call_sid, "attempt": appointment.reminder_attempts + 1},
        )


def _call_entry(appointment: Appointment, customer: Customer) -> dict[str, Any]:
    return {
        "appointment_id": appointment.appointment_id,
        "customer_id": appointment.customer_id,
        "customer_number": mask_phone(customer.phone),
        "start": appointment.start.isoformat(),
        "service_type": appointment.service_type,
        "attempt": appointment.reminder_attempts + 1,
    }
