"""Domain models: the shapes of the CRM, shared by every Lambda, the bridge and the tools.

Times are timezone-aware datetimes in the shop's zone; dates are the shop's local dates.
Identifiers carry a prefix (`cus_`, `veh_`, `apt_`, `svc_`) so a stray id is recognisable in a log.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pitstop.phone import normalize_e164

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def new_id(prefix: str) -> str:
    """A fresh identifier such as `apt_3f2a9c1d7e4b`."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


class Model(BaseModel):
    """Base for domain models. Unknown fields are ignored: a stored item carries its key
    attributes (`pk`, `sk`, `entity`, …) beside the model's own fields."""

    model_config = ConfigDict(extra="ignore")


class OpeningHours(Model):
    opens: time
    closes: time


class Shop(Model):
    shop_id: str
    name: str
    timezone: str = "America/New_York"
    phone: str = Field(description="the shop's human line, for handoffs and voicemail call-backs")
    address: str = ""
    opening_hours: dict[str, OpeningHours | None] = Field(
        description="weekday (mon..sun) → hours; None or missing means closed"
    )
    holidays: list[date] = []
    calling_hours: OpeningHours = OpeningHours(opens=time(9), closes=time(20))
    slot_minutes: int = 30

    def hours_on(self, day: date) -> OpeningHours | None:
        """Opening hours on `day`, or None when the shop is closed (weekday off or holiday)."""
        if day in self.holidays:
            return None
        return self.opening_hours.get(WEEKDAYS[day.weekday()])


class ServiceType(Model):
    code: str
    name: str
    duration_minutes: int
    price_min: float
    price_max: float
    bays: list[str] = Field(description="bays equipped for this service")
    aliases: list[str] = []


class Bay(Model):
    bay: str
    name: str


class Customer(Model):
    customer_id: str
    name: str
    phone: str
    email: str | None = None
    sms_opt_in: bool = True
    do_not_call: bool = False

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str) -> str:
        return normalize_e164(value)


class Vehicle(Model):
    vehicle_id: str
    customer_id: str
    vin: str | None = None
    make: str
    model: str
    year: int
    mileage: int | None = None

    @property
    def label(self) -> str:
        return f"{self.year} {self.make} {self.model}"


class ServiceRecord(Model):
    record_id: str
    customer_id: str
    vehicle_id: str
    day: date
    service_type: str
    description: str = ""
    mileage: int | None = None
    cost: float | None = None


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


ACTIVE_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED)


class ReminderStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    DIALLED = "dialled"
    CONFIRMED = "confirmed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    ANSWERED = "answered"


class Appointment(Model):
    appointment_id: str
    shop_id: str
    customer_id: str
    vehicle_id: str
    service_type: str
    bay: str
    start: datetime
    end: datetime
    status: AppointmentStatus = AppointmentStatus.SCHEDULED
    notes: str = ""
    reminder_status: ReminderStatus = ReminderStatus.PENDING
    reminder_attempts: int = 0
    reminder_claimed_until: datetime | None = None
    reminder_call_sid: str | None = None
    reminder_next_attempt: datetime | None = None

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AgentSettings(Model):
    """How the agent behaves; stored in the table so a change needs no deploy."""

    persona_name: str = "Robin"
    voice: str = "marin"
    model: str = "gpt-realtime"
    language: str = "en"
    extra_instructions: str = ""
    escalation_words: list[str] = ["lawyer", "manager", "complaint", "supervisor", "ridiculous"]
    max_call_seconds: int = 600
    silence_timeout_seconds: int = 30
    agent_enabled: bool = True
    bridge_available: bool = True
    recording_notice: str | None = None


class CallStatus(StrEnum):
    """Twilio's call statuses, one vocabulary for routing, the call record and reminders."""

    QUEUED = "queued"
    INITIATED = "initiated"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    ANSWERED = "answered"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def rank(self) -> int:
        """Order a call moves through its statuses; the final ones share the highest rank."""
        return _STATUS_RANK[self]

    @property
    def final(self) -> bool:
        return self in FINAL_CALL_STATUSES


_STATUS_RANK = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    CallStatus.ANSWERED: 3,
    CallStatus.COMPLETED: 4,
    CallStatus.BUSY: 4,
    CallStatus.NO_ANSWER: 4,
    CallStatus.FAILED: 4,
    CallStatus.CANCELED: 4,
}
FINAL_CALL_STATUSES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
    }
)
# Statuses of a call somebody picked up.
ANSWERED_CALL_STATUSES = frozenset(
    {CallStatus.IN_PROGRESS, CallStatus.ANSWERED, CallStatus.COMPLETED}
)


class CallOutcome(StrEnum):
    """How a call ended, as the call record, the logs and the `CallOutcome` metric name it."""

    COMPLETED = "completed"
    CALLER_HUNG_UP = "caller_hung_up"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    CONFIRMED = "confirmed"
    HANDED_OFF = "handed_off"
    VOICEMAIL = "voicemail"
    # A reminder call that reached nobody (as its `ReminderStatus`): the run dials it again.
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class CallDirection(StrEnum):
    INBOUND = "inbound"
    REMINDER = "reminder"


class CallRecord(Model):
    call_sid: str
    direction: CallDirection
    customer_number: str = Field(
        description="the customer's side of the call, E.164, whatever the direction"
    )
    customer_id: str | None = None
    appointment_id: str | None = None
    status: CallStatus = CallStatus.INITIATED
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    answered_by: str | None = None
    outcome: CallOutcome | None = None
    handoff_reason: str | None = None
    usage: dict[str, Any] = {}
    estimated_cost_usd: float | None = None


class TranscriptTurn(Model):
    role: str = Field(description="caller | agent | system")
    text: str
    at: datetime


class ToolCallRecord(Model):
    name: str
    arguments: dict[str, Any]
    result_summary: str
    ok: bool
    latency_ms: float
    at: datetime
