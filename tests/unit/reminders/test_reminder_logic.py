"""Reminder rules that need no database: URLs, policy, skip reasons, time zones, pace, outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest

from functions.reminders.run import (
    Pacer,
    RunSummary,
    reminder_day,
    skip_reason,
    within_calling_hours,
)
from pitstop.dal.reminders import stamp
from pitstop.models import (
    Appointment,
    AppointmentStatus,
    CallDirection,
    CallRecord,
    Customer,
    OpeningHours,
    ReminderStatus,
    Shop,
)
from pitstop.reminders import (
    ReminderPolicy,
    is_machine,
    on_call_status,
    reminder_url,
    status_callback_url,
)

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LA = ZoneInfo("America/Los_Angeles")


def _shop(tz="America/Los_Angeles", opens=time(9), closes=time(20)) -> Shop:
    return Shop(
        shop_id="s",
        name="S",
        timezone=tz,
        phone="+13105550100",
        opening_hours={},
        calling_hours=OpeningHours(opens=opens, closes=closes),
    )


def _appointment(**fields) -> Appointment:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=LA)
    return Appointment(
        **{
            "appointment_id": "apt_1",
            "shop_id": "s",
            "customer_id": "cus_1",
            "vehicle_id": "veh_1",
            "service_type": "oil_change",
            "bay": "B1",
            "start": start,
            "end": start + timedelta(hours=1),
            **fields,
        }
    )


CUSTOMER = Customer(customer_id="cus_1", name="Ann", phone="+13105550123")
POLICY = ReminderPolicy(max_attempts=3)


def test_reminder_url_carries_the_appointment_and_customer():
    url = reminder_url("https://hooks.example.com/", _appointment())
    parsed = urlparse(url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "https",
        "hooks.example.com",
        "/voice/reminder",
    )
    assert parse_qs(parsed.query) == {"appointment_id": ["apt_1"], "customer_id": ["cus_1"]}
    assert (
        status_callback_url("https://hooks.example.com") == "https://hooks.example.com/voice/status"
    )


POLICY_ENV = (
    "PITSTOP_CALLS_PER_SECOND",
    "PITSTOP_REMINDER_MAX_ATTEMPTS",
    "PITSTOP_REMINDER_RETRY_MINUTES",
    "PITSTOP_REMINDER_LEASE_MINUTES",
)


def test_policy_from_env_and_defaults(monkeypatch):
    for name in POLICY_ENV:
        monkeypatch.delenv(name, raising=False)
    assert ReminderPolicy().calls_per_second == 1.0
    for name, value in zip(POLICY_ENV, ("2.5", "5", "45", "10"), strict=True):
        monkeypatch.setenv(name, value)
    policy = ReminderPolicy()
    assert (policy.calls_per_second, policy.max_attempts) == (2.5, 5)
    assert (policy.retry_gap, policy.lease) == (timedelta(minutes=45), timedelta(minutes=10))
    monkeypatch.setenv("PITSTOP_CALLS_PER_SECOND", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        ReminderPolicy()


@pytest.mark.parametrize(
    ("fields", "customer", "reason"),
    [
        ({}, CUSTOMER, None),
        ({"status": AppointmentStatus.CANCELLED}, CUSTOMER, "cancelled"),
        ({"status": AppointmentStatus.CONFIRMED}, CUSTOMER, "already_confirmed"),
        ({"status": AppointmentStatus.COMPLETED}, CUSTOMER, "not_scheduled"),
        ({}, CUSTOMER.model_copy(update={"do_not_call": True}), "do_not_call"),
        ({}, None, "no_phone"),
        ({"reminder_status": ReminderStatus.ANSWERED}, CUSTOMER, "already_reminded"),
        ({"reminder_status": ReminderStatus.VOICEMAIL}, CUSTOMER, "already_reminded"),
        ({"reminder_status": ReminderStatus.CONFIRMED}, CUSTOMER, "already_reminded"),
        ({"reminder_status": ReminderStatus.DIALLED}, CUSTOMER, "in_progress"),
        (
            {
                "reminder_status": ReminderStatus.CLAIMED,
                "reminder_claimed_until": NOW + timedelta(minutes=1),
            },
            CUSTOMER,
            "in_progress",
        ),
        (
            {
                "reminder_status": ReminderStatus.CLAIMED,
                "reminder_claimed_until": NOW - timedelta(minutes=1),
            },
            CUSTOMER,
            None,
        ),
        (
            {
                "reminder_status": ReminderStatus.NO_ANSWER,
                "reminder_attempts": 1,
                "reminder_next_attempt": NOW + timedelta(minutes=5),
            },
            CUSTOMER,
            "retry_not_due",
        ),
        (
            {
                "reminder_status": ReminderStatus.BUSY,
                "reminder_attempts": 1,
                "reminder_next_attempt": NOW - timedelta(minutes=5),
            },
            CUSTOMER,
            None,
        ),
        (
            {
                "reminder_status": ReminderStatus.NO_ANSWER,
                "reminder_attempts": 3,
                "reminder_next_attempt": NOW - timedelta(minutes=5),
            },
            CUSTOMER,
            "attempts_exhausted",
        ),
        (
            {"reminder_status": ReminderStatus.FAILED, "reminder_attempts": 1},
            CUSTOMER,
            "dial_failed",
        ),
        ({"start": NOW - timedelta(hours=1), "end": NOW}, CUSTOMER, "in_the_past"),
    ],
)
def test_skip_reasons(fields, customer, reason):
    assert skip_reason(_appointment(**fields), customer, NOW, POLICY) == reason


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (
            datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
            "America/Los_Angeles",
            date(2026, 12, 1),
        ),  # 18:00 30 Nov
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "UTC", date(2026, 12, 2)),
        (datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 12, 3)),  # 08:30 2 Dec
        (
            datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
            "America/Los_Angeles",
            date(2026, 3, 8),
        ),  # DST night
    ],
)
def test_tomorrow_is_the_shops_tomorrow(now, tz, expected):
    assert reminder_day(_shop(tz), now) == expected


@pytest.mark.parametrize(
    ("now", "inside"),
    [
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), True),  # 18:00 LA
        (datetime(2026, 12, 1, 3, 59, tzinfo=UTC), True),  # 19:59 LA
        (datetime(2026, 12, 1, 4, 0, tzinfo=UTC), False),  # 20:00 LA: calling hours are over
        (datetime(2026, 12, 1, 16, 59, tzinfo=UTC), False),  # 08:59 LA
        (datetime(2026, 12, 1, 17, 0, tzinfo=UTC), True),  # 09:00 LA
    ],
)
def test_calling_hours_are_the_shops_local_hours(now, inside):
    assert within_calling_hours(_shop(), now) is inside


def test_pacer_spaces_dials_without_real_sleep():
    t = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        t[0] += seconds

    pacer = Pacer(4, lambda: t[0], sleep)
    starts = []
    for _ in range(5):
        pacer.wait()
        starts.append(t[0])
        t[0] += 0.1  # the dial itself takes time, which counts toward the interval
    assert starts == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert slept == pytest.approx([0.15] * 4)


def test_stamp_is_fixed_width_utc_so_strings_order_like_times():
    a, b = datetime(2026, 12, 1, 2, 0, tzinfo=UTC), datetime(2026, 12, 1, 2, 0, 0, 500, tzinfo=UTC)
    assert stamp(a) < stamp(b) and len(stamp(a)) == len(stamp(b))
    assert stamp(datetime(2026, 11, 30, 18, 0, tzinfo=LA)) == "2026-12-01T02:00:00.000000+00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        stamp(datetime(2026, 12, 1))


def test_is_machine():
    assert is_machine("machine_start") and is_machine("machine_end_beep") and is_machine("fax")
    assert not is_machine("human") and not is_machine("unknown") and not is_machine(None)


class _Recorder:
    """A stand-in repository that records the outcome it is asked to write."""

    def __init__(self):
        self.outcomes = []

    def record_outcome(
        self, customer_id, appointment_id, outcome, now, call_sid=None, retry_at=None
    ):
        self.outcomes.append((outcome, retry_at))
        return True


class _Calls:
    def __init__(self):
        self.fields = []

    def set_fields(self, call_sid, fields):
        self.fields.append(fields)


class _Crm:
    def __init__(self):
        self.reminders, self.calls = _Recorder(), _Calls()


def _call(direction=CallDirection.REMINDER):
    return CallRecord(
        call_sid="CA1",
        direction=direction,
        customer_number="+13105550123",
        customer_id="cus_1",
        appointment_id="apt_1",
    )


@pytest.mark.parametrize(
    ("status", "answered_by", "outcome", "retry"),
    [
        ("no-answer", None, ReminderStatus.NO_ANSWER, True),
        ("busy", None, ReminderStatus.BUSY, True),
        ("failed", None, ReminderStatus.FAILED, True),
        ("in-progress", "human", ReminderStatus.ANSWERED, False),
        ("completed", "unknown", ReminderStatus.ANSWERED, False),
        ("completed", "machine_end_silence", ReminderStatus.VOICEMAIL, False),
        ("ringing", None, None, False),
        ("initiated", None, None, False),
    ],
)
def test_call_status_maps_to_a_reminder_outcome(status, answered_by, outcome, retry):
    crm = _Crm()
    policy = ReminderPolicy(retry_gap=timedelta(minutes=40))
    on_call_status(crm, _call(), status, answered_by, NOW, policy=policy)
    if outcome is None:
        assert crm.reminders.outcomes == []
        return
    assert crm.reminders.outcomes == [(outcome, NOW + timedelta(minutes=40) if retry else None)]


def test_inbound_calls_never_touch_reminders():
    crm = _Crm()
    on_call_status(crm, _call(CallDirection.INBOUND), "no-answer", None, NOW)
    assert crm.reminders.outcomes == [] and crm.calls.fields == []


def test_summary_json_shape():
    summary = RunSummary(shop_id="s", day=date(2026, 12, 1))
    summary.skip(_appointment(), "do_not_call")
    data = summary.to_dict()
    assert data["day"] == "2026-12-01" and data["skipped"] == {"do_not_call": 1}
    assert set(data) >= {"due", "dialled", "skipped", "failed", "deferred", "found", "dry_run"}
