"""The after-call summary: what the caller wanted, what was done, what is left, call back?, mood.

Two ways to write it, one shape (`CallSummary`). With an OpenAI key a text model reads the
call's facts and transcript and answers in a strict structured output (`SummaryBody`, through
the Responses API's `responses.parse`); without a key, or when the model fails, the summary is
built deterministically from the call's structured facts (tools called, outcome, message taken,
handoff) and says so (`source="facts"`). Either way it runs after the call, never on its path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pitstop.models import (
    CallDirection,
    CallerMood,
    CallOutcome,
    CallRecord,
    CallSummary,
    Message,
    SummaryBody,
    ToolCallRecord,
    TranscriptTurn,
)
from pitstop.observability import logger

if TYPE_CHECKING:  # imported when a key is there: the facts path never loads the SDK
    from openai import OpenAI

#: The text model that writes summaries (`PITSTOP_SUMMARY_MODEL` overrides it).
DEFAULT_SUMMARY_MODEL = "gpt-4.1-mini"
MAX_OUTPUT_TOKENS = 600
#: A long call's transcript is cut to its last turns: the end says how it went.
MAX_TURNS = 120
INSTRUCTIONS = (
    "You summarise a phone call between a car service centre's AI receptionist and a caller, "
    "for the shop's staff. Use only the facts and transcript given. caller_wanted: what the "
    "caller wanted, one sentence. done: what was done on the call. left_to_do: what the shop "
    "still has to do, or an empty string. callback_needed: true only if someone from the shop "
    "must call the caller back. caller_mood: how the caller came across."
)

# What each tool means for the summary: (what the caller wanted, what was done).
_TOOL_FACTS = {
    "book_appointment": ("to book a service appointment", "booked an appointment"),
    "reschedule_appointment": ("to move an appointment", "moved the appointment"),
    "cancel_appointment": ("to cancel an appointment", "cancelled the appointment"),
    "confirm_appointment": ("to confirm an appointment", "confirmed the appointment"),
    "send_sms_confirmation": ("", "texted the appointment details"),
    "check_availability": ("to find a free slot", ""),
    "get_service_history": ("to hear about their vehicle's service history", ""),
    "register_customer": ("", "registered the caller as a new customer"),
    "set_do_not_call": ("not to be called again", "marked the customer do-not-call"),
    "request_operator_handoff": ("to speak to a person", ""),
}
_PLEASED = {CallOutcome.BOOKED, CallOutcome.RESCHEDULED, CallOutcome.CONFIRMED}
_UPSET_WORDS = ("escalat", "angry", "frustrat", "complain", "lawyer", "manager", "ridiculous")


@dataclass(frozen=True)
class CallFacts:
    """Everything the summary is written from, read once after the call."""

    record: CallRecord
    tool_calls: Sequence[ToolCallRecord]
    transcript: Sequence[TranscriptTurn]
    message: Message | None = None


def summary_model() -> str:
    return os.environ.get("PITSTOP_SUMMARY_MODEL") or DEFAULT_SUMMARY_MODEL


# ---- from the facts -------------------------------------------------------------------------
def facts_summary(facts: CallFacts, now: datetime) -> CallSummary:
    """A summary built only from what the call record says happened (`source="facts"`)."""
    body = SummaryBody(
        caller_wanted=_wanted(facts),
        done=_done(facts),
        left_to_do=_left_to_do(facts),
        callback_needed=_callback_needed(facts),
        caller_mood=_mood(facts),
    )
    return CallSummary(**body.model_dump(), source="facts", created_at=now)


def _ok_tools(facts: CallFacts) -> list[str]:
    return list(dict.fromkeys(t.name for t in facts.tool_calls if t.ok))


def _wanted(facts: CallFacts) -> str:
    record = facts.record
    if record.direction is CallDirection.REMINDER:
        return "Reminder call about an upcoming appointment."
    called = list(dict.fromkeys(t.name for t in facts.tool_calls))
    wants = [_TOOL_FACTS[name][0] for name in called if _TOOL_FACTS.get(name, ("",))[0]]
    if wants:
        return "The caller wanted " + _and(wants[:2]) + "."
    if facts.message is not None:
        return f"The caller left a message: {facts.message.about}."
    first = next((t.text for t in facts.transcript if t.role == "caller" and t.text.strip()), "")
    if first:
        return f'The caller said: "{first.strip()[:200]}"'
    return "Not known: the caller said nothing the agent recorded."


def _done(facts: CallFacts) -> str:
    record = facts.record
    done = [_TOOL_FACTS[name][1] for name in _ok_tools(facts) if _TOOL_FACTS.get(name, ("", ""))[1]]
    if facts.message is not None or record.outcome is CallOutcome.MESSAGE_TAKEN:
        done.append("took a message for a call back")
    if record.outcome is CallOutcome.HANDED_OFF:
        who = f" ({record.handoff_to})" if record.handoff_to else ""
        done.append(f"put the caller through to the shop{who}")
    elif record.outcome is CallOutcome.FALLBACK:
        done.append("the agent could not carry the call, so it was put through to the shop")
    elif record.outcome is CallOutcome.HANDOFF_UNANSWERED:
        done.append("tried to put the caller through, but nobody picked up")
    elif record.outcome is CallOutcome.VOICEMAIL:
        done.append("left a voicemail")
    if not done:
        return "Nothing was done on the call."
    text = _and(done)
    return text[0].upper() + text[1:] + "."


def _left_to_do(facts: CallFacts) -> str:
    todo = []
    if facts.message is not None:
        who = facts.message.caller_name or "the caller"
        number = f" on {facts.message.callback_number}" if facts.message.callback_number else ""
        todo.append(f"call {who} back{number} about: {facts.message.about}")
    elif _callback_needed(facts):
        todo.append("call the caller back")
    failed = sorted({t.name for t in facts.tool_calls if not t.ok} - set(_ok_tools(facts)))
    if failed:
        todo.append("check what failed on the call: " + ", ".join(failed))
    if not todo:
        return ""
    text = "; ".join(todo)
    return text[0].upper() + text[1:] + "."


def _callback_needed(facts: CallFacts) -> bool:
    record = facts.record
    if facts.message is not None or record.outcome is CallOutcome.MESSAGE_TAKEN:
        return True
    answered = record.handoff_status in ("completed", "answered")
    return record.outcome in (CallOutcome.HANDOFF_UNANSWERED, CallOutcome.FALLBACK) and not answered


def _mood(facts: CallFacts) -> CallerMood:
    reason = (facts.record.handoff_reason or "").lower()
    if any(word in reason for word in _UPSET_WORDS):
        return CallerMood.FRUSTRATED
    if facts.record.outcome in _PLEASED:
        return CallerMood.PLEASED
    return CallerMood.NEUTRAL


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ---- by a text model ------------------------------------------------------------------------
def facts_text(facts: CallFacts) -> str:
    """The call as the model reads it: the structured facts, then the transcript."""
    record = facts.record
    lines = [
        f"direction: {record.direction.value}",
        f"outcome: {record.outcome.value if record.outcome else 'unknown'}",
        f"handoff reason: {record.handoff_reason or 'none'}",
        f"handoff status: {record.handoff_status or 'none'}",
        "tools: "
        + (
            ", ".join(f"{t.name} ({'ok' if t.ok else 'failed'})" for t in facts.tool_calls)
            or "none"
        ),
    ]
    if facts.message is not None:
        lines.append(f"message taken: {facts.message.about}")
    lines.append("transcript:")
    lines += [f"{t.role}: {t.text}" for t in facts.transcript[-MAX_TURNS:]]
    return "\n".join(lines)


def model_summary(client: OpenAI, model: str, facts: CallFacts, now: datetime) -> CallSummary:
    """The summary a text model writes, in the strict structured output `SummaryBody`: the
    Responses API's `parse` sends its JSON schema (strict) and parses the answer back."""
    response = client.responses.parse(
        model=model,
        instructions=INSTRUCTIONS,
        input=facts_text(facts),
        text_format=SummaryBody,
        max_output_tokens=MAX_OUTPUT_TOKENS,
        store=False,
    )
    body = response.output_parsed
    if body is None:
        raise ValueError(f"the model gave no summary (status {response.status})")
    return CallSummary(**body.model_dump(), source="model", model=model, created_at=now)


def summarise(facts: CallFacts, now: datetime, client: OpenAI | None) -> CallSummary:
    """The model's summary when there is a client and it answers; else the facts'."""
    if client is not None:
        try:
            return model_summary(client, summary_model(), facts, now)
        except Exception:  # a failed model call must not leave the call without a summary
            logger.exception("the summary model failed; summarising from the facts")
    return facts_summary(facts, now)


def openai_client(api_key: str | None, base_url: str | None = None) -> OpenAI | None:
    """An OpenAI client for the summary, or None without a key (then: facts only)."""
    if not api_key:
        return None
    from openai import OpenAI

    return OpenAI(api_key=api_key, base_url=base_url, timeout=30.0, max_retries=2)
