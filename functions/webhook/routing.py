"""Call-routing decisions as plain functions: which TwiML for which situation.

No I/O here: the flows read the CRM and pass what they found; these functions decide. That
keeps every branch a caller can land in (agent on or off, bridge up or down, human or machine,
appointment known or not) testable without a table or a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pitstop import twiml
from pitstop.models import FINAL_CALL_STATUSES, CallStatus
from pitstop.phone import InvalidPhoneNumber, normalize_e164

# What Twilio puts in `From` when the caller withholds their number (anonymous, restricted,
# unavailable, blocked): valid-looking E.164 that must never be taken for a customer's phone.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+8656696", "+2562533"})

STREAM_PARAMETERS = (
    "direction",
    "customer_number",
    "customer_id",
    "shop_id",
    "appointment_id",
    "token",
)


@dataclass(frozen=True)
class Answer:
    """The TwiML to answer with, and what kind of answer it is (for logs, metrics, the record)."""

    kind: Literal["stream", "fallback", "voicemail", "message", "goodbye"]
    twiml: str
    reason: str | None = None


def caller_number(raw: str | None) -> str:
    """The caller's number in E.164, or "" for withheld/anonymous/unparseable numbers."""
    try:
        number = normalize_e164(raw or "")
    except InvalidPhoneNumber:
        return ""
    return "" if number in WITHHELD_NUMBERS else number


def unavailable_reason(agent_enabled: bool, bridge_available: bool) -> str | None:
    """Why the agent cannot take a call right now, or None when it can.

    `bridge_available` is the fleet's heartbeat (`Crm.heartbeats.alive`), not a manual flag."""
    if not agent_enabled:
        return "agent_disabled"
    if not bridge_available:
        return "bridge_unavailable"
    return None


def stream_parameters(
    *,
    direction: str,
    customer_number: str,
    customer_id: str | None,
    shop_id: str,
    appointment_id: str | None,
    token: str,
) -> dict[str, str]:
    """The `<Parameter>`s the bridge starts a conversation from (all strings, none missing)."""
    return {
        "direction": direction,
        "customer_number": customer_number,
        "customer_id": customer_id or "",
        "shop_id": shop_id,
        "appointment_id": appointment_id or "",
        "token": token,
    }


def inbound_answer(
    *,
    shop_name: str,
    shop_phone: str,
    agent_enabled: bool,
    bridge_available: bool,
    bridge_url: str,
    parameters: dict[str, str],
    notice: str | None,
    stream_ended_url: str | None = None,
) -> Answer:
    """An inbound call goes to the agent unless it is switched off or the bridge is down.

    `stream_ended_url` is the `<Connect action>`: a stream that ends with the call still up is
    rescued there (see `functions.webhook.rescue`)."""
    reason = unavailable_reason(agent_enabled, bridge_available)
    if reason:
        return Answer("fallback", twiml.fallback_twiml(shop_name, shop_phone), reason)
    return Answer("stream", twiml.stream_twiml(bridge_url, parameters, notice, stream_ended_url))


def reminder_answer(
    *,
    shop_name: str,
    shop_phone: str,
    machine: bool,
    appointment_found: bool,
    spoken_appointment: str,
    agent_enabled: bool,
    bridge_available: bool,
    bridge_url: str,
    parameters: dict[str, str],
    notice: str | None,
    stream_ended_url: str | None = None,
) -> Answer:
    """A reminder call: voicemail for a machine, the agent for a person, a goodbye if it is moot.

    `machine` is Twilio's answering-machine verdict (`pitstop.reminders.is_machine(AnsweredBy)`).
    When the agent cannot talk (switched off, bridge down) a person hears the same short
    reminder a machine would get, rather than being put through to a busy front desk.
    """
    if not appointment_found:
        return Answer(
            "goodbye",
            twiml.voicemail_twiml(goodbye_text(shop_name, shop_phone)),
            "unknown_appointment",
        )
    message = reminder_message(shop_name, spoken_appointment, shop_phone)
    if machine:
        return Answer("voicemail", twiml.voicemail_twiml(message), "machine")
    reason = unavailable_reason(agent_enabled, bridge_available)
    if reason:
        return Answer("message", twiml.voicemail_twiml(message), reason)
    return Answer("stream", twiml.stream_twiml(bridge_url, parameters, notice, stream_ended_url))


def fallback_answer(shop_name: str | None, shop_phone: str | None, reason: str) -> Answer:
    """Apology + transfer; without a known shop number (nothing cached, table down) an apology."""
    if shop_name and shop_phone:
        return Answer("fallback", twiml.fallback_twiml(shop_name, shop_phone), reason)
    return Answer(
        "goodbye",
        twiml.voicemail_twiml(
            "Sorry, we can't take your call right now. Please try again in a few minutes. Goodbye."
        ),
        reason,
    )


# --- what the caller hears -------------------------------------------------------------------
def spoken_when(start: datetime) -> str:
    """`Tuesday, December 1 at 9:00 AM`: how a receptionist says an appointment time."""
    hour = start.hour % 12 or 12
    minutes = f":{start.minute:02d}"
    return (
        f"{start:%A}, {start:%B} {start.day} at {hour}{minutes} {'AM' if start.hour < 12 else 'PM'}"
    )


def spoken_phone(number: str) -> str:
    """A phone number grouped for speech: `+15551230000` → `5 5 5, 1 2 3, 0 0 0 0`.

    Spaced digits make text-to-speech read digits, not "five hundred fifty-five"; commas pause.
    """
    digits = "".join(c for c in number if c.isdigit())
    if number.startswith("+1") and len(digits) == 11:
        digits = digits[1:]
    if len(digits) == 10:
        groups = [digits[:3], digits[3:6], digits[6:]]
    else:
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return ", ".join(" ".join(group) for group in groups)


def reminder_message(shop_name: str, spoken_appointment: str, shop_phone: str) -> str:
    return (
        f"Hello, this is {shop_name} with a reminder about your {spoken_appointment}. "
        f"To confirm, reschedule or cancel, please call us back at {spoken_phone(shop_phone)}. "
        "Thank you, and goodbye."
    )


def goodbye_text(shop_name: str, shop_phone: str) -> str:
    return (
        f"Hello, this is {shop_name}. We were calling about an appointment that has since changed. "
        f"If you have any questions, please call us at {spoken_phone(shop_phone)}. Goodbye."
    )


def status_fields(
    status: CallStatus, duration: str | None, answered_by: str | None, at: datetime
) -> dict[str, str | int]:
    """The call-record fields a status callback carries (only the ones it actually has)."""
    fields: dict[str, str | int] = {}
    if duration and duration.isdigit():
        fields["duration_seconds"] = int(duration)
    if answered_by:
        fields["answered_by"] = answered_by
    if status in FINAL_CALL_STATUSES:  # Twilio sends nothing more about the call
        fields["ended_at"] = at.isoformat()
    return fields
