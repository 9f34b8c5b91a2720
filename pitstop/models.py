"""Domain models: the shapes of the CRM, shared by every Lambda, the bridge and the tools.

Times are timezone-aware datetimes in the shop's zone; dates are the shop's local dates.
Identifiers carry a prefix (`cus_`, `veh_`, `apt_`, `svc_`) so a stray id is recognisable in a log.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pitstop.i18n import DEFAULT_LANGUAGE, LANGUAGES, text
from pitstop.phone import normalize_e164
from pitstop.voice_settings import (
    DEFAULT_PROHIBITED_PHRASES,
    MAX_SPEED,
    MIN_SPEED,
    VOICES,
    EscalationAction,
    NoiseReduction,
    ServerVad,
    TurnDetection,
    session_audio,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# What the caller hears when recording is on and the shop set no wording of its own, in English;
# a shop hears its own language's (`calls.recording_notice` of the language packs).
DEFAULT_RECORDING_NOTICE = text(DEFAULT_LANGUAGE, "calls.recording_notice")


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
    # ISO 4217: the catalogue's prices as the agent reads them ("$60", "8,000円").
    currency: str = "USD"
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


class Catalog(Model):
    """What the shop sells and where: the services and bays, edited and versioned as one."""

    services: list[ServiceType] = []
    bays: list[Bay] = []


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
    plate: str | None = Field(
        default=None, description="licence plate as registered; one of the facts that verify"
    )

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
    CLAIMED = "claimed"  # written by earlier releases; read as DIALLING
    DIALLING = "dialling"  # claimed with the intent to dial: a call may be out, unrecorded
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
    # The dial intent: recorded before `calls.create`, so a run that dies after it leaves a
    # trace the next run reconciles with Twilio instead of dialling blind.
    reminder_attempt_id: str | None = None
    reminder_dialling_since: datetime | None = None
    reminder_do_not_call: bool = False  # the customer's flag, copied here for the claim's check

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AgentSettings(Model):
    """How the agent behaves; stored in the table so a change needs no deploy."""

    persona_name: str = "Robin"
    voice: str = "marin"  # one of `VOICES`
    # How the agent sounds and hears (see `pitstop.voice_settings`; sent by `session_audio`).
    speed: float = Field(default=1.0, ge=MIN_SPEED, le=MAX_SPEED)
    noise_reduction: NoiseReduction = "near_field"  # a handset held to the ear
    turn_detection: TurnDetection = Field(default_factory=ServerVad)  # today's thresholds
    model: str = "gpt-realtime"
    # The second Realtime model: when `model` cannot be opened or keeps failing responses, the
    # call continues on this one (with the conversation so far) before any handoff. "" means
    # none (not None: a stored item leaves out None fields, which would bring the default back).
    fallback_model: str = "gpt-realtime-mini"
    # Everything Pitstop says and writes, and the caller's transcription: one of `LANGUAGES`.
    language: str = DEFAULT_LANGUAGE
    extra_instructions: str = ""
    # How the agent opens an inbound call, a template over `pitstop.templates.TEMPLATE_VARIABLES`
    # ("" means the default wording built from `persona_name`). The bridge adds the AI
    # disclosure when the shop's wording lacks it: a caller is always told they talk to an AI.
    greeting: str = ""
    escalation_words: list[str] = ["lawyer", "manager", "complaint", "supervisor", "ridiculous"]
    # Per escalation word, what hearing it does: "offer" a person (the default) or "handoff" now.
    escalation_actions: dict[str, EscalationAction] = {}
    # A lone `0` on the keypad means "a person, please" (off: it is an entry like any other).
    zero_for_person: bool = True
    # What the agent must never say (matched case-insensitively on its streamed transcript).
    prohibited_phrases: list[str] = list(DEFAULT_PROHIBITED_PHRASES)
    max_call_seconds: int = 600
    silence_timeout_seconds: int = 30
    agent_enabled: bool = True
    # Recording (issue 16): on, the bridge keeps a stereo recording of each call it carries and
    # the caller hears the notice before the call connects; off, neither. The notice is the
    # shop's wording or, when that is unset, `DEFAULT_RECORDING_NOTICE`.
    recording_enabled: bool = False
    recording_notice: str | None = None
    # How long a recording is kept (days), applied as an S3 lifecycle expiry per object.
    recording_retention_days: int = Field(default=90, ge=1, le=3650)
    # Budgets: the cap on one response's output tokens (Realtime `max_output_tokens`) and the
    # per-call ceiling on all tokens, past which the agent wraps up and offers a person.
    max_output_tokens_per_response: int = Field(default=1024, ge=1, le=4096)
    # (Each response re-reads the conversation: a 10-minute call sums a few hundred thousand.)
    max_tokens_per_call: int = Field(default=500_000, ge=1000, le=10_000_000)
    # Where a handoff rings, tried in order (empty: the shop's own `phone`); settings, not code.
    handoff_numbers: list[str] = []
    # How long each handoff number rings before the next one (or the way back to the agent).
    handoff_ring_seconds: int = Field(default=20, ge=5, le=60)
    # The service advisor who gets an SMS for each message taken (None: nobody is texted).
    advisor_number: str | None = None

    @field_validator("voice")
    @classmethod
    def _known_voice(cls, value: str) -> str:
        if value not in VOICES:
            raise ValueError(f"unknown voice {value!r}; choose one of {sorted(VOICES)}")
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"no language pack for {value!r}; choose one of {list(LANGUAGES)}")
        return value

    @field_validator("escalation_actions")
    @classmethod
    def _known_words(cls, value: dict[str, EscalationAction], info: ValidationInfo) -> dict:
        words = {w.lower() for w in info.data.get("escalation_words", [])}
        unknown = sorted(w for w in value if w.lower() not in words)
        if unknown:
            raise ValueError(f"actions for words that are not escalation words: {unknown}")
        return {w.lower(): action for w, action in value.items()}

    @field_validator("prohibited_phrases")
    @classmethod
    def _phrases(cls, value: list[str]) -> list[str]:
        return [p.strip() for p in value if p.strip()]

    def escalation_action(self, word: str) -> EscalationAction:
        """What the shop wants done when the caller says `word` (an escalation word)."""
        return self.escalation_actions.get(word.lower(), "offer")

    def spoken_recording_notice(self) -> str | None:
        """What the caller hears about recording: nothing when it is off (a leftover wording
        must not claim a recording that is not made), the shop's wording or the default when on."""
        if not self.recording_enabled:
            return None
        return self.recording_notice or text(self.language, "calls.recording_notice")

    def session_audio(self) -> dict[str, Any]:
        """The session's `audio` settings (turn detection, noise reduction, speed)."""
        return session_audio(
            speed=self.speed,
            noise_reduction=self.noise_reduction,
            turn_detection=self.turn_detection,
        )

    @field_validator("handoff_numbers")
    @classmethod
    def _e164_list(cls, value: list[str]) -> list[str]:
        return [normalize_e164(number) for number in value]

    @field_validator("advisor_number")
    @classmethod
    def _e164_or_none(cls, value: str | None) -> str | None:
        return normalize_e164(value) if value else None


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
    # No dead ends (issue 12): where a call that the agent could not finish ended up.
    MESSAGE_TAKEN = "message_taken"  # the caller left a message (agent tool or recording)
    HANDOFF_UNANSWERED = "handoff_unanswered"  # nobody picked up: back to the agent
    FALLBACK = "fallback"  # the stream could not carry the call: rescued by the webhook


class ResumeReason(StrEnum):
    """Why a call is streamed to the agent a second time (the bridge words its greeting so)."""

    HANDOFF_UNANSWERED = "handoff_unanswered"  # "nobody could pick up": offer a message/callback


class CallDirection(StrEnum):
    INBOUND = "inbound"
    REMINDER = "reminder"
    # A test call from the console (the browser is the phone): no Twilio call behind it, its
    # texts are held on the record instead of sent, and cost reports leave it out.
    TEST = "test"


class HeldText(Model):
    """A text a test call would have sent: recorded on its call record, never sent."""

    to: str
    body: str
    at: datetime


class LatencyStats(Model):
    """One latency measured over a call: how many, and their p50, p95 and max, in ms."""

    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float


class CallLatency(Model):
    """What the caller waited for on one call (the bridge measures it, see `latency.py`)."""

    # From the end of the caller's speech (`speech_stopped`) to the agent's first audio out.
    response: LatencyStats | None = None
    # From the stream's `start` to the greeting's first audio out.
    greeting_ms: float | None = None
    tool: LatencyStats | None = None


class CallerMood(StrEnum):
    """How the caller came across, as the after-call summary names it."""

    PLEASED = "pleased"
    NEUTRAL = "neutral"
    CONFUSED = "confused"
    FRUSTRATED = "frustrated"
    ANGRY = "angry"


class SummaryBody(BaseModel):
    """What a call summary says: the structured output a text model is asked for (strict, so
    no defaults) and what the deterministic summary fills in from the call's facts."""

    model_config = ConfigDict(extra="forbid")

    caller_wanted: str = Field(description="what the caller wanted, in one sentence")
    done: str = Field(description="what was done on the call (booked, moved, message taken …)")
    left_to_do: str = Field(description="what the shop still has to do; empty when nothing")
    callback_needed: bool = Field(description="must someone from the shop call the caller back")
    caller_mood: CallerMood


class CallSummary(SummaryBody):
    """The after-call summary on the record (`pitstop.summary`): `source` says whether a text
    model wrote it ("model") or it was built from the call's structured facts ("facts")."""

    model_config = ConfigDict(extra="ignore")

    source: Literal["facts", "model"]
    model: str | None = None
    created_at: datetime


class CallCost(Model):
    """What one call cost, in USD, by what was bought (`pitstop.costs`); `prices_version` is the
    version of the shop's price table it was priced with."""

    realtime_usd: float = 0.0
    transcription_usd: float = 0.0
    twilio_usd: float = 0.0
    sms_usd: float = 0.0
    total_usd: float = 0.0
    twilio_minutes: int = 0
    sms_segments: int = 0
    prices_version: int = 0


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
    # The call's page in the staff console, set at handoff so staff can read the call so far.
    transcript_url: str | None = None
    usage: dict[str, Any] = {}
    # The Realtime model whose session carried the call last (the fallback after a failover).
    realtime_model: str | None = None
    # The bridge's stereo recording (caller left, agent right): its S3 key in the recordings
    # bucket, or its path under the local stack's recordings folder.
    recording_key: str | None = None
    latency: CallLatency | None = None
    # A call the bridge did not carry, recorded by Twilio (`<Dial record>` / `<Record>`): its
    # recording's SID, media URL and length, from the signed recording status callback.
    twilio_recording_sid: str | None = None
    twilio_recording_url: str | None = None
    twilio_recording_seconds: int | None = None
    # SMS segments sent on this call (confirmations, codes, the advisor's text): priced after it.
    sms_segments: int = 0
    # Written once after the call, off the call path (`pitstop.after_call`).
    summary: CallSummary | None = None
    cost: CallCost | None = None
    shop_id: str | None = None
    # The media stream the webhook granted: its token's id and expiry (epoch seconds).
    stream_token_id: str | None = None
    stream_token_expires: int | None = None
    # Set by the bridge when it ends the stream on purpose (goodbye, hang-up, handoff): the
    # `<Connect action>` route then lets the call end instead of rescuing it.
    ended_by_bridge: bool = False
    # The handoff, as the `<Dial action>` route saw it: which number answered and for how long.
    handoff_to: str | None = None
    handoff_status: str | None = None
    handoff_seconds: int | None = None
    # Set when the call is streamed to the agent again (see `ResumeReason`).
    resume_reason: ResumeReason | None = None
    message_id: str | None = None  # the message taken on this call, if any
    # A caller from an unknown number who proved who they are (`verify_customer`): the tools
    # act for this customer for the rest of the call. `verify_attempts` caps the guessing.
    verified_customer_id: str | None = None
    verify_attempts: int = 0
    # A test call (`CallDirection.TEST`): the staff member (`sub`) and sign-in session its
    # stream token was bound to, and the texts it held instead of sending.
    test_staff: str | None = None
    test_session: str | None = None
    held_texts: list[HeldText] = []

    def stream_context(self) -> StreamContext:
        return StreamContext(
            call_sid=self.call_sid,
            direction=self.direction,
            customer_number=self.customer_number,
            customer_id=self.customer_id,
            appointment_id=self.appointment_id,
            shop_id=self.shop_id,
            resume_reason=self.resume_reason,
            handoff_reason=self.handoff_reason,
        )


class StreamContext(Model):
    """Who a media stream is for, as the webhook recorded it: the bridge trusts this, never the
    stream's own `<Parameter>`s (a caller's client could edit those; it cannot edit the table)."""

    call_sid: str
    direction: CallDirection
    customer_number: str
    customer_id: str | None = None
    appointment_id: str | None = None
    shop_id: str | None = None
    resume_reason: ResumeReason | None = None
    handoff_reason: str | None = None


class MessageStatus(StrEnum):
    NEW = "new"
    HANDLED = "handled"


class MessageUrgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class Message(Model):
    """A message taken for the shop: a call-back request, linked to the call and the customer."""

    message_id: str = Field(default_factory=lambda: new_id("msg"))
    shop_id: str
    call_sid: str | None = None
    customer_id: str | None = None
    caller_name: str = ""
    callback_number: str = ""
    vehicle: str = ""
    about: str
    callback_when: str = ""
    urgency: MessageUrgency = MessageUrgency.ROUTINE
    recording_url: str | None = None
    status: MessageStatus = MessageStatus.NEW
    created_at: datetime
    handled_at: datetime | None = None
    handled_by: str | None = None


class TranscriptTurn(Model):
    role: str = Field(description="caller | agent | system")
    text: str
    at: datetime
    interrupted: bool = Field(
        default=False, description="an agent turn the caller cut off: `text` is the part heard"
    )


class ToolCallRecord(Model):
    name: str
    arguments: dict[str, Any]
    result_summary: str
    ok: bool
    latency_ms: float
    at: datetime


class TextDirection(StrEnum):
    OUTBOUND = "outbound"  # we texted the customer
    INBOUND = "inbound"  # the customer texted us


class TextExchange(Model):
    """One text about an appointment (the reminder SMS, the customer's reply, our answer)."""

    text_id: str = Field(default_factory=lambda: new_id("txt"))
    appointment_id: str
    customer_id: str
    direction: TextDirection
    body: str
    at: datetime
    action: str | None = Field(default=None, description="what a reply did: confirm, cancel…")
