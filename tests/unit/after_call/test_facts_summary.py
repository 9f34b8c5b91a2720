"""The deterministic summary, from the call's facts only: labelled `facts`, and saying what a
person needs to know (wanted, done, left to do, call back?, mood)."""

from __future__ import annotations

from datetime import UTC, datetime

from pitstop.models import (
    CallDirection,
    CallerMood,
    CallOutcome,
    CallRecord,
    Message,
    ToolCallRecord,
    TranscriptTurn,
)
from pitstop.summary import CallFacts, facts_summary, facts_text

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def _facts(outcome=None, tools=(), turns=(), message=None, **fields) -> CallFacts:
    record = CallRecord(
        call_sid="CA1",
        direction=fields.pop("direction", CallDirection.INBOUND),
        customer_number="+15551230001",
        outcome=outcome,
        **fields,
    )
    return CallFacts(
        record=record,
        tool_calls=[
            ToolCallRecord(name=n, arguments={}, result_summary="{}", ok=ok, latency_ms=1.0, at=NOW)
            for n, ok in tools
        ],
        transcript=[TranscriptTurn(role=r, text=t, at=NOW) for r, t in turns],
        message=message,
    )


def test_a_booking():
    summary = facts_summary(
        _facts(
            CallOutcome.BOOKED,
            tools=[("check_availability", True), ("book_appointment", True)],
        ),
        NOW,
    )
    assert summary.source == "facts" and summary.model is None
    assert summary.caller_wanted == (
        "The caller wanted to find a free slot and to book a service appointment."
    )
    assert summary.done == "Booked an appointment."
    assert (summary.left_to_do, summary.callback_needed) == ("", False)
    assert summary.caller_mood is CallerMood.PLEASED


def test_a_message_taken_must_be_called_back():
    message = Message(
        shop_id="demo",
        caller_name="Dana",
        callback_number="+15551230002",
        about="brakes squeal",
        created_at=NOW,
    )
    summary = facts_summary(
        _facts(CallOutcome.MESSAGE_TAKEN, tools=[("take_message", True)], message=message), NOW
    )
    assert summary.callback_needed is True
    assert summary.left_to_do == "Call Dana back on +15551230002 about: brakes squeal."
    assert summary.caller_wanted == "The caller left a message: brakes squeal."


def test_an_unanswered_handoff_with_a_failed_tool_and_an_upset_caller():
    summary = facts_summary(
        _facts(
            CallOutcome.HANDOFF_UNANSWERED,
            tools=[("book_appointment", False)],
            turns=[("caller", "I want a manager now")],
            handoff_reason="caller asked for a manager (escalation)",
        ),
        NOW,
    )
    assert summary.callback_needed is True
    assert summary.left_to_do == (
        "Call the caller back; check what failed on the call: book_appointment."
    )
    assert "nobody picked up" in summary.done
    assert summary.caller_mood is CallerMood.FRUSTRATED


def test_nothing_said_nothing_done():
    summary = facts_summary(_facts(CallOutcome.CALLER_HUNG_UP), NOW)
    assert summary.caller_wanted.startswith("Not known")
    assert summary.done == "Nothing was done on the call."
    assert summary.caller_mood is CallerMood.NEUTRAL


def test_the_first_thing_the_caller_said_when_no_tool_tells():
    summary = facts_summary(
        _facts(turns=[("agent", "Hi"), ("caller", "Are you open Sunday?")]), NOW
    )
    assert summary.caller_wanted == 'The caller said: "Are you open Sunday?"'


def test_a_reminder_call():
    facts = _facts(CallOutcome.CONFIRMED, direction=CallDirection.REMINDER)
    assert facts_summary(facts, NOW).caller_wanted.startswith("Reminder call")


def test_what_the_model_reads_holds_facts_and_transcript():
    text = facts_text(
        _facts(CallOutcome.BOOKED, tools=[("book_appointment", True)], turns=[("caller", "hi")])
    )
    assert "outcome: booked" in text and "book_appointment (ok)" in text
    assert text.endswith("caller: hi")
