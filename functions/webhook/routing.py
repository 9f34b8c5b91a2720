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
from pitstop.i18n import DEFAULT_LANGUAGE, text
from pitstop.i18n.formats import spoken_phone
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
    lang: str = DEFAULT_LANGUAGE,
) -> Answer:
    """An inbound call goes to the agent unless it is switched off or the bridge is down.

    `stream_ended_url` is the `<Connect action>`: a stream that ends with the call still up is
    rescued there (see `functions.webhook.rescue`). `lang`: the shop's, for every `<Say>`."""
    reason = unavailable_reason(agent_enabled, bridge_available)
    if reason:
        return Answer("fallback", twiml.fallback_twiml(shop_name, shop_phone, lang=lang), reason)
    return Answer(
        "stream", twiml.stream_twiml(bridge_url, parameters, notice, stream_ended_url, lang=lang)
    )


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
    lang: str = DEFAULT_LANGUAGE,
) -> Answer:
    """A reminder call: voicemail for a machine, the agent for a person, a goodbye if it is moot.

    `machine` is Twilio's answering-machine verdict (`pitstop.reminders.is_machine(AnsweredBy)`).
    When the agent cannot talk (switched off, bridge down) a person hears the same short
    reminder a machine would get, rather than being put through to a busy front desk.
    """
    if not appointment_found:
        return Answer(
            "goodbye",
            twiml.voicemail_twiml(goodbye_text(shop_name, shop_phone, lang), lang=lang),
            "unknown_appointment",
        )
    message = reminder_message(shop_name, spoken_appointment, shop_phone, lang)
    if machine:
        return Answer("voicemail", twiml.voicemail_twiml(message, lang=lang), "machine")
    reason = unavailable_reason(agent_enabled, bridge_available)
    if reason:
        return Answer("message", twiml.voicemail_twiml(message, lang=lang), reason)
    return Answer(
        "stream", twiml.stream_twiml(bridge_url, parameters, notice, stream_ended_url, lang=lang)
    )


def fallback_answer(
    shop_name: str | None, shop_phone: str | None, reason: str, lang: str = DEFAULT_LANGUAGE
) -> Answer:
    """Apology + transfer; without a known shop number (nothing cached, table down) an apology."""
    if shop_name and shop_phone:
        return Answer("fallback", twiml.fallback_twiml(shop_name, shop_phone, lang=lang), reason)
    return Answer(
        "goodbye", twiml.voicemail_twiml(text(lang, "calls.unavailable"), lang=lang), reason
    )


# --- what the caller hears (times and numbers: pitstop.i18n.formats) -------------------------
def reminder_message(
    shop_name: str, spoken_appointment: str, shop_phone: str, lang: str = DEFAULT_LANGUAGE
) -> str:
    return text(
        lang,
        "calls.reminder",
        shop_name=shop_name,
        appointment=spoken_appointment,
        shop_phone=spoken_phone(shop_phone, lang),
    )


def goodbye_text(shop_name: str, shop_phone: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return text(
        lang,
        "calls.reminder_goodbye",
        shop_name=shop_name,
        shop_phone=spoken_phone(shop_phone, lang),
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
