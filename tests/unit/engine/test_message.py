"""The offline engine takes a message: offered when a handoff cannot ring anyone (the
instructions say so), or asked for by the caller; `take_message` carries what the engine knows."""

from __future__ import annotations

import pytest

from pitstop import handoff
from pitstop_local.engine import nlu
from pitstop_local.engine.context import parse_context
from pitstop_local.engine.grammar import build_phrases, grammar_state
from pitstop_local.engine.policy import (
    Recalled,
    Start,
    ToolResult,
    UserSaid,
    decide,
    new_state,
    offers_message,
)
from tests.unit.engine.test_policy import ALEX, BASE, TODAY, only_tool, said

ALEX_WITH_PHONE = {**ALEX, "customer": {**ALEX["customer"], "phone": "+15551230001"}}
TAKEN = {"ok": True, "message_id": "msg_1", "advisor_notified": True, "message": "taken"}


def _closed_after_handoff(state) -> list:
    """The caller asked for a person; the bridge found the shop closed and said so."""
    assert only_tool(decide(state, UserSaid("can i talk to a person"))).name == (
        "request_operator_handoff"
    )
    assert decide(state, ToolResult("request_operator_handoff", {"ok": True})) == []
    return decide(state, Start(handoff.AFTER_HOURS_INSTRUCTION))


@pytest.fixture
def known():
    state = new_state(parse_context(BASE, []))
    decide(state, Start())
    decide(state, ToolResult("lookup_customer", ALEX_WITH_PHONE))
    return state


def test_both_handoff_instructions_offer_a_message_and_others_do_not():
    assert offers_message(handoff.AFTER_HOURS_INSTRUCTION)
    assert offers_message(handoff.UNANSWERED_INSTRUCTION)
    assert not offers_message("Say a brief, friendly goodbye to the caller now.")
    assert not offers_message("")


def test_after_hours_the_agent_says_so_and_takes_the_message_it_was_given(known):
    offer = said(_closed_after_handoff(known))
    assert "closed" in offer and "take a message" in offer
    call = only_tool(decide(known, UserSaid("yes please ask them to call me back about my brakes")))
    assert call.name == "take_message"
    assert call.arguments == {
        "caller_name": "Alex Morgan",
        "about": "my brakes",
        "callback_number": "+15551230001",
        "vehicle": "2019 Toyota Camry",
    }
    confirmation = said(decide(known, ToolResult("take_message", TAKEN)))
    assert "message about my brakes" in confirmation and "call you back" in confirmation
    assert "anything else" in confirmation


def test_a_plain_yes_asks_what_it_is_about_once(known):
    _closed_after_handoff(known)
    assert "what is the message about" in said(decide(known, UserSaid("yes"))).lower()
    call = only_tool(decide(known, UserSaid("it's about an oil change")))
    assert call.arguments["about"] == "an oil change"


def test_an_unheard_reason_still_takes_the_message(known):
    _closed_after_handoff(known)
    decide(known, UserSaid("yes"))
    call = only_tool(decide(known, UserSaid("maybe")))
    assert call.arguments["about"] == "a call back"


def test_declining_the_message_offers_a_booking(known):
    _closed_after_handoff(known)
    answer = said(decide(known, UserSaid("no thanks")))
    assert "book" in answer and "anything else" in answer
    assert known.intent is None and not known.ended


def test_the_caller_may_ask_to_leave_a_message_any_time(known):
    call = only_tool(decide(known, UserSaid("i'd like to leave a message about my car")))
    assert call.name == "take_message" and call.arguments["about"] == "my car"


def test_a_resumed_stream_replays_the_call_as_context_and_looks_the_caller_up_first():
    """A new session after nobody picked up: the earlier turns are not answered again (no
    second handoff), the caller is looked up, then the offer; the reason comes from them."""
    state = new_state(parse_context(BASE, []))
    assert decide(state, Recalled("i need my brake service looked at")) == []
    first = decide(state, Start(handoff.UNANSWERED_INSTRUCTION))
    assert only_tool(first).name == "lookup_customer" and "nobody could pick up" in said(first)
    assert "offline test voice" not in said(first)  # the call is under way: no second greeting
    offer = decide(state, ToolResult("lookup_customer", ALEX_WITH_PHONE))
    assert "take a message" in said(offer)
    call = only_tool(decide(state, UserSaid("yes")))
    assert call.arguments["about"] == "brake service"


def test_an_unknown_caller_is_asked_for_a_name():
    state = new_state(parse_context(BASE, []))
    decide(state, Start(handoff.AFTER_HOURS_INSTRUCTION))
    decide(state, ToolResult("lookup_customer", {"ok": True, "found": False}))
    assert "name" in said(decide(state, UserSaid("yes take a message about my bill")))
    call = only_tool(decide(state, UserSaid("jane smith")))
    assert call.arguments == {"caller_name": "Jane Smith", "about": "my bill"}  # tool's callback
    assert "Thanks, Jane" in said(decide(state, ToolResult("take_message", TAKEN)))


def test_without_the_tool_the_agent_does_not_offer_it():
    tools = [{"type": "function", "name": "lookup_customer"}]
    state = new_state(parse_context(BASE, tools))
    decide(state, Start())
    decide(state, ToolResult("lookup_customer", ALEX))
    answer = said(decide(state, Start(handoff.AFTER_HOURS_INSTRUCTION)))
    assert "closed" in answer and "message" not in answer


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("yes take a message", None),
        ("please ask them to call me back about my brakes please", "my brakes"),
        ("can someone call me back", None),
        ("leave a message", None),
    ],
)
def test_message_phrases_are_a_message_not_a_person(text, about):
    p = nlu.parse(text, TODAY)
    assert (p.intent, p.about) == ("message", about)


def test_how_about_is_a_day_not_a_reason():
    assert nlu.parse("how about tuesday", TODAY).about is None


def test_grammar_hears_message_phrases_after_the_offer_and_in_the_open():
    ctx = parse_context(BASE, [])
    offered = set(build_phrases(ctx, grammar_state("message_offer")))
    assert {"yes", "no thanks", "yes take a message", "it's about my brakes"} <= offered
    assert "please ask them to call me back about a brake service" in offered
    assert grammar_state("message_about") == "message"
    assert "i'd like to leave a message about my car" in set(build_phrases(ctx, "open"))
