"""Handoff that lands: who a call goes to, when, and what staff hear before they say hello.

Pure decisions (no I/O), shared by the webhook (rescuing a stream that ended, the `<Dial action>`
route), the bridge (the agent's handoff tool) and the console. Opening hours and holidays come
from the shop profile; the numbers to ring, in order, from the agent settings, so a shop
changes who picks up without a deploy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pitstop import twiml
from pitstop.i18n import DEFAULT_LANGUAGE, text
from pitstop.models import AgentSettings, CallSummary, Shop

# The webhook routes a handoff and a rescue use (the HTTP API serves each; see infra/constants).
STREAM_ENDED_PATH = "/voice/stream-ended"
DIAL_ENDED_PATH = "/voice/dial-ended"
WHISPER_PATH = "/voice/whisper"
MESSAGE_RECORDED_PATH = "/voice/message-recorded"
# Twilio's recording status callback: a call the bridge did not carry, recorded by Twilio.
RECORDING_PATH = "/voice/recording"
#: `<Dial record>`: both legs, each on its own channel, from when a person picks up.
DIAL_RECORDING = "record-from-answer-dual"

#: The console's page for one call (console/app.js routes `#/calls/<call_sid>`).
CALL_PAGE_ROUTE = "#/calls/"

# Twilio's `DialCallStatus` values that mean a person took the call.
ANSWERED_DIAL_STATUSES = frozenset({"completed", "answered"})

#: How the call record's `handoff_reason` begins when a handoff found the shop closed.
AFTER_HOURS_REASON = "after hours"
# What the agent is told when nobody can take the call (English here; a call uses its shop's
# language: `text(lang, "agent.after_hours")`, `brief.line("unanswered")`).
AFTER_HOURS_INSTRUCTION = text(DEFAULT_LANGUAGE, "agent.after_hours")
UNANSWERED_INSTRUCTION = text(DEFAULT_LANGUAGE, "agent.unanswered")


def is_open(shop: Shop, now: datetime) -> bool:
    """Is the shop open at `now` (its weekday hours, minus holidays, in its own time zone)?"""
    local = now.astimezone(ZoneInfo(shop.timezone))
    hours = shop.hours_on(local.date())
    return hours is not None and hours.opens <= local.time() < hours.closes


def transcript_url(console_url: str, call_sid: str) -> str:
    """Where staff read a handed-off call: its page (transcript, tools, outcome) in the console."""
    return f"{console_url.rstrip('/')}/{CALL_PAGE_ROUTE}{call_sid}"


def record_fields(console_url: str, call_sid: str, reason: str | None) -> dict[str, str | None]:
    """What a handoff puts on the call record: why, and the link to the call's page."""
    return {"handoff_reason": reason, "transcript_url": transcript_url(console_url, call_sid)}


def targets(shop: Shop, settings: AgentSettings) -> list[str]:
    """The numbers a handoff rings, in order: the settings' list, else the shop's line."""
    return list(settings.handoff_numbers) or [shop.phone]


def recording_callback(public_url: str, call_sid: str) -> str:
    """The signed route Twilio reports a recording of `call_sid` to (the call is named in the
    query: a `<Dial>` leg's recording must land on the caller's record)."""
    return f"{public_url.rstrip('/')}{RECORDING_PATH}?{urlencode({'call': call_sid})}"


def recorded(document: str, callback_url: str) -> str:
    """`document` with Twilio recording what the bridge does not carry: every `<Dial>` records
    both legs from answer, and every `<Dial>` and `<Record>` reports its recording to
    `callback_url` (the recording status callback). Other documents are returned unchanged."""
    root = ET.fromstring(document)
    verbs = [e for e in root.iter() if e.tag in ("Dial", "Record")]
    for verb in verbs:
        if verb.tag == "Dial":
            verb.set("record", DIAL_RECORDING)
        verb.set("recordingStatusCallback", callback_url)
        verb.set("recordingStatusCallbackEvent", "completed")
    if not verbs:
        return document
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


@dataclass(frozen=True)
class Caller:
    """What staff are told about the caller before they are connected (`summary`: what the
    after-call summary says the caller wanted, when the call already has one)."""

    name: str = ""
    vehicle: str = ""
    reason: str = ""
    summary: str = ""


def whisper_text(shop_name: str, caller: Caller) -> str:
    """The whisper staff hear on picking up: who, which car, and why (only what is known)."""
    who = caller.name or "a caller we could not identify"
    parts = [f"{shop_name} call for you from {who}."]
    if caller.vehicle:
        parts.append(f"Vehicle: {caller.vehicle}.")
    if caller.reason:
        parts.append(f"Reason: {caller.reason}.")
    if caller.summary:
        parts.append(caller.summary)
    parts.append("Connecting now.")
    return " ".join(parts)


def summary_line(summary: CallSummary | None) -> str:
    """What a summary adds to a whisper or an advisor's text ("" while there is none: during
    a live call there usually is not, it is written after the call)."""
    if summary is None:
        return ""
    return f"Summary: {summary.caller_wanted.rstrip('.')}. To do: {summary.left_to_do or 'nothing'}"


@dataclass(frozen=True)
class Handoff:
    """A decided handoff: the TwiML to redirect the call with, or None when the shop is closed
    (then `instruction` is what the agent is told to do instead)."""

    twiml: str | None
    instruction: str | None = None


def dial_attempt_twiml(
    public_url: str,
    call_sid: str,
    number: str,
    attempt: int,
    ring_seconds: int,
    message: str | None = twiml.DEFAULT_HANDOFF_MESSAGE,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """`<Dial action>` to the `attempt`-th handoff number, with the whisper on pick-up; the
    caller hears `message` (None: nothing) in `lang`."""
    base = public_url.rstrip("/")
    action = f"{base}{DIAL_ENDED_PATH}?{urlencode({'attempt': attempt})}"
    whisper = f"{base}{WHISPER_PATH}?{urlencode({'call': call_sid})}"
    return twiml.dial_twiml(number, action, whisper, ring_seconds, message, lang=lang)


def plan(
    shop: Shop, settings: AgentSettings, now: datetime, public_url: str, call_sid: str
) -> Handoff:
    """Inside opening hours ring the first handoff number; outside, tell the agent what to do."""
    if not is_open(shop, now):
        return Handoff(None, text(settings.language, "agent.after_hours"))
    first = targets(shop, settings)[0]
    lang = settings.language
    announce = text(lang, "calls.handoff")
    dial = dial_attempt_twiml(
        public_url, call_sid, first, 0, settings.handoff_ring_seconds, announce, lang=lang
    )
    if settings.recording_enabled:  # the bridge's recording ends with its stream
        dial = recorded(dial, recording_callback(public_url, call_sid))
    return Handoff(dial)


def next_target(shop: Shop, settings: AgentSettings, attempt: int) -> str | None:
    """The number to try after `attempt` failed, or None when every one has been tried."""
    numbers = targets(shop, settings)
    return numbers[attempt + 1] if attempt + 1 < len(numbers) else None
