"""The offline engine's dialogue policy as pure functions: events in, actions out (no audio)."""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_local.engine.context import parse_context
from pitstop_local.engine.policy import (
    CallTool,
    Dtmf,
    Interrupted,
    Say,
    Start,
    ToolResult,
    UserSaid,
    decide,
    new_state,
)

TODAY = dt.date(2026, 11, 26)  # a Thursday
BASE = (
    "You are Robin, the AI assistant answering the phone for Pitstop Demo Garage, a car service "
    "centre.\n"
    "Shop: Pitstop Demo Garage. Address: 1200 Piston Avenue. Phone: +15551239000. Time zone: "
    "America/New_York.\n"
    "Today is Thursday, November 26, 2026.\n"
    "Services (typical price range): Oil change ($49-$89); Tire rotation ($25-$40); "
    "Brake service ($150-$450); A/C service ($99-$250).\n"
)
REMINDER = (
    "This is an outbound reminder call that you placed to Alex Morgan about their appointment:\n"
    "tire rotation for the 2019 Toyota Camry on Monday, November 30 at 10:00 AM.\n"
    "The appointment id is apt_rem0001. Keep the call brief.\n"
)
ALEX = {
    "ok": True,
    "found": True,
    "customer": {"customer_id": "cus_1", "name": "Alex Morgan"},
    "vehicles": [{"vehicle_id": "veh_1", "label": "2019 Toyota Camry"}],
    "next_appointment": None,
}
SLOTS = {
    "ok": True,
    "slots": [
        {
            "start": "2026-12-01T09:00:00-05:00",
            "end": "2026-12-01T09:30:00-05:00",
            "bay": "bay1",
            "spoken": "Tuesday, December 1 at 9:00 AM",
        },
        {
            "start": "2026-12-01T09:30:00-05:00",
            "end": "2026-12-01T10:00:00-05:00",
            "bay": "bay2",
            "spoken": "Tuesday, December 1 at 9:30 AM",
        },
    ],
}
APPT = {
    "appointment_id": "apt_rem0001",
    "service_type": "tire_rotation",
    "service_name": "Tire rotation",
    "start": "2026-11-30T10:00:00-05:00",
    "spoken": "Monday, November 30 at 10:00 AM",
}


def tools(actions):
    return [a for a in actions if isinstance(a, CallTool)]


def said(actions) -> str:
    return " ".join(a.text for a in actions if isinstance(a, Say))


def only_tool(actions) -> CallTool:
    calls = tools(actions)
    assert len(calls) == 1, actions
    return calls[0]


@pytest.fixture
def known():
    """An inbound call from a known customer, greeted and identified."""
    state = new_state(parse_context(BASE, []))
    assert only_tool(decide(state, Start())).name == "lookup_customer"
    greeting = said(decide(state, ToolResult("lookup_customer", ALEX)))
    assert "offline test voice" in greeting and "Alex" in greeting and "help you" in greeting
    return state


def test_the_shops_own_greeting_is_spoken_instead_of_the_default():
    shop_words = 'Open the call with the shop\'s greeting, in these words: "Hi, Sam here, AI."'
    state = new_state(parse_context(f"{BASE}\n{shop_words}", []))
    decide(state, Start())
    greeting = said(decide(state, ToolResult("lookup_customer", ALEX)))
    assert greeting.startswith("Hi, Sam here, AI.") and "offline test voice" not in greeting


def test_inbound_call_looks_the_caller_up_before_greeting():
    state = new_state(parse_context(BASE, []))
    actions = decide(state, Start())
    assert actions == [CallTool("lookup_customer", {})]
    assert decide(state, Start()) == []  # still waiting for the tool: nothing to say twice


def test_known_customer_books_oil_change_end_to_end(known):
    call = only_tool(decide(known, UserSaid("i'd like to book an oil change on tuesday")))
    assert call.name == "check_availability"
    assert call.arguments["service_type"] == "Oil change"
    assert call.arguments["preferred_date"] == "2026-12-01"
    offer = decide(known, ToolResult("check_availability", SLOTS))
    assert "Tuesday, December 1 at 9:00 AM" in said(offer) and "shall i book" in said(offer).lower()
    book = only_tool(decide(known, UserSaid("yes that works")))
    assert book == CallTool(
        "book_appointment",
        {
            "vehicle_id": "veh_1",
            "service_type": "Oil change",
            "start": "2026-12-01T09:00:00-05:00",
            "bay": "bay1",
        },
    )
    booked = {
        "ok": True,
        "appointment": {
            "appointment_id": "apt_9",
            "service_type": "oil_change",
            "service_name": "Oil change",
            "spoken": "Tuesday, December 1 at 9:00 AM",
        },
    }
    after = decide(known, ToolResult("book_appointment", booked))
    assert only_tool(after) == CallTool("send_sms_confirmation", {"appointment_id": "apt_9"})
    assert "booked for Tuesday, December 1" in said(after)
    assert "anything else" in said(
        decide(known, ToolResult("send_sms_confirmation", {"ok": True, "sent": True}))
    )
    bye = decide(known, UserSaid("no that's all goodbye"))
    assert only_tool(bye).name == "end_call" and "Goodbye" in said(bye)
    assert decide(known, UserSaid("hello?")) == []  # the call is over


def test_time_of_day_and_next_slot_on_no(known):
    call = only_tool(
        decide(known, UserSaid("hi i'd like to book an oil change for friday morning please"))
    )
    assert call.arguments["preferred_date"] == "2026-11-27"
    assert call.arguments["preferred_time_of_day"] == "morning"
    decide(known, ToolResult("check_availability", SLOTS))
    second = decide(known, UserSaid("no"))
    assert "9:30 AM" in said(second) and not tools(second)
    third = decide(known, UserSaid("no"))
    assert "what other day" in said(third).lower()


def test_service_then_day_are_asked_for(known):
    ask = decide(known, UserSaid("i'd like to make an appointment"))
    assert "service" in said(ask).lower() and not tools(ask)
    ask = decide(known, UserSaid("a tire rotation"))
    assert "day" in said(ask).lower() and not tools(ask)
    call = only_tool(decide(known, UserSaid("tomorrow afternoon")))
    assert call.arguments == {
        "service_type": "Tire rotation",
        "preferred_date": "2026-11-27",
        "preferred_time_of_day": "afternoon",
        "max_results": 3,
    }


def test_slot_taken_offers_the_alternative(known):
    decide(known, UserSaid("book an oil change on tuesday"))
    decide(known, ToolResult("check_availability", SLOTS))
    decide(known, UserSaid("yes"))
    refusal = {
        "ok": False,
        "error": "slot_taken",
        "message": "That time was just taken.",
        "alternatives": [SLOTS["slots"][1]],
    }
    offer = decide(known, ToolResult("book_appointment", refusal))
    assert "just taken" in said(offer) and "9:30 AM" in said(offer)
    assert (
        only_tool(decide(known, UserSaid("yes"))).arguments["start"] == "2026-12-01T09:30:00-05:00"
    )


def test_refused_day_asks_for_another(known):
    decide(known, UserSaid("book an oil change on sunday"))
    reply = decide(
        known,
        ToolResult(
            "check_availability",
            {"ok": False, "error": "shop_closed", "message": "We're closed on Sundays."},
        ),
    )
    assert "closed on Sundays" in said(reply) and "other day" in said(reply)
    assert only_tool(decide(known, UserSaid("monday"))).arguments["preferred_date"] == "2026-11-30"


def test_new_caller_is_registered_then_books():
    state = new_state(parse_context(BASE, []))
    decide(state, Start())
    ask = decide(state, ToolResult("lookup_customer", {"ok": True, "found": False}))
    assert "offline test voice" in said(ask) and "name" in said(ask)
    ask = decide(state, UserSaid("my name is jordan rivera"))
    assert "year, make and model" in said(ask)
    register = only_tool(decide(state, UserSaid("a twenty eighteen honda civic")))
    assert register == CallTool(
        "register_customer",
        {"name": "Jordan Rivera", "vehicle": {"make": "Honda", "model": "Civic", "year": 2018}},
    )
    welcome = decide(
        state,
        ToolResult(
            "register_customer", {"ok": True, "customer_id": "cus_n", "vehicle_id": "veh_n"}
        ),
    )
    assert "Jordan" in said(welcome) and "help you" in said(welcome)
    call = only_tool(decide(state, UserSaid("i need an oil change on friday afternoon")))
    assert (
        call.name == "check_availability" and call.arguments["preferred_time_of_day"] == "afternoon"
    )
    decide(state, ToolResult("check_availability", SLOTS))
    assert only_tool(decide(state, UserSaid("yes please"))).arguments["vehicle_id"] == "veh_n"


def test_new_caller_heard_only_by_make_is_asked_for_the_model():
    state = new_state(parse_context(BASE, []))
    decide(state, Start())
    decide(state, ToolResult("lookup_customer", {"ok": True, "found": False}))
    decide(state, UserSaid("my name is jordan rivera"))
    ask = decide(state, UserSaid("a twenty eighteen honda"))  # the model was not heard
    assert not tools(ask) and "model" in said(ask) and "Honda" in said(ask)
    register = only_tool(decide(state, UserSaid("civic")))
    assert register.arguments["vehicle"] == {"make": "Honda", "model": "Civic", "year": 2018}


def test_new_caller_who_leads_with_a_booking_keeps_it():
    state = new_state(parse_context(BASE, []))
    decide(state, Start())
    decide(state, UserSaid("i need an oil change on tuesday"))  # said while lookup runs
    decide(state, ToolResult("lookup_customer", {"ok": True, "found": False}))
    decide(state, UserSaid("my name is sam lopez"))
    decide(state, UserSaid("a twenty twenty toyota camry"))
    reply = decide(
        state, ToolResult("register_customer", {"ok": True, "customer_id": "c", "vehicle_id": "v"})
    )
    assert only_tool(reply).name == "check_availability"


def test_reminder_call_confirms_the_appointment_from_the_context():
    state = new_state(parse_context(BASE + REMINDER, []))
    assert state.ctx.direction == "reminder" and state.ctx.appointment_id == "apt_rem0001"
    assert only_tool(decide(state, Start())).name == "get_upcoming_appointments"
    other = {**APPT, "appointment_id": "apt_other", "spoken": "Friday, December 4 at 2:00 PM"}
    ask = decide(
        state, ToolResult("get_upcoming_appointments", {"ok": True, "appointments": [other, APPT]})
    )
    assert "upcoming appointment" in said(ask) and "Monday, November 30" in said(ask)
    assert "make it" in said(ask)
    confirm = only_tool(decide(state, UserSaid("yes i'll be there")))
    assert confirm == CallTool("confirm_appointment", {"appointment_id": "apt_rem0001"})
    done = decide(state, ToolResult("confirm_appointment", {"ok": True}))
    assert "confirmed" in said(done) and "anything else" in said(done)


def test_reminder_call_can_move_the_appointment():
    state = new_state(parse_context(BASE + REMINDER, []))
    decide(state, Start())
    decide(state, ToolResult("get_upcoming_appointments", {"ok": True, "appointments": [APPT]}))
    call = only_tool(decide(state, UserSaid("can i move it to wednesday")))
    assert call.name == "check_availability"
    assert (
        call.arguments["service_type"] == "tire_rotation"
        and call.arguments["preferred_date"] == "2026-12-02"
    )
    decide(state, ToolResult("check_availability", SLOTS))
    move = only_tool(decide(state, UserSaid("yes")))
    assert move.name == "reschedule_appointment"
    assert move.arguments["appointment_id"] == "apt_rem0001"


def test_known_customer_reschedules(known):
    fetch = only_tool(decide(known, UserSaid("i need to reschedule my appointment")))
    assert fetch.name == "get_upcoming_appointments"
    ask = decide(
        known, ToolResult("get_upcoming_appointments", {"ok": True, "appointments": [APPT]})
    )
    assert "what day" in said(ask).lower()
    call = only_tool(decide(known, UserSaid("tuesday afternoon")))
    assert call.arguments["preferred_time_of_day"] == "afternoon"
    offer = decide(known, ToolResult("check_availability", SLOTS))
    assert "move it there" in said(offer)
    move = only_tool(decide(known, UserSaid("yes that works")))
    assert move == CallTool(
        "reschedule_appointment",
        {"appointment_id": "apt_rem0001", "new_start": "2026-12-01T09:00:00-05:00", "bay": "bay1"},
    )
    moved = decide(known, ToolResult("reschedule_appointment", {"ok": True, "appointment": APPT}))
    assert "moved" in said(moved)


def test_known_customer_cancels_after_confirming(known):
    decide(known, UserSaid("i'd like to cancel my appointment"))
    ask = decide(
        known, ToolResult("get_upcoming_appointments", {"ok": True, "appointments": [APPT]})
    )
    assert "cancel your tire rotation" in said(ask)
    cancel = only_tool(decide(known, UserSaid("yes")))
    assert (
        cancel.name == "cancel_appointment" and cancel.arguments["appointment_id"] == "apt_rem0001"
    )
    assert "cancelled" in said(decide(known, ToolResult("cancel_appointment", {"ok": True})))


def test_cancel_asks_which_when_several(known):
    second = {
        **APPT,
        "appointment_id": "apt_2",
        "service_type": "oil_change",
        "service_name": "Oil change",
        "start": "2026-12-03T09:00:00-05:00",
        "spoken": "Thursday, December 3 at 9:00 AM",
    }
    decide(known, UserSaid("cancel my appointment"))
    ask = decide(
        known, ToolResult("get_upcoming_appointments", {"ok": True, "appointments": [APPT, second]})
    )
    assert "which" in said(ask).lower()
    confirm = decide(known, UserSaid("the oil change"))
    assert "cancel your oil change" in said(confirm)


@pytest.mark.parametrize(
    "text", ["can i talk to a real person please", "operator", "let me speak to someone"]
)
def test_handoff_on_request(known, text):
    actions = decide(known, UserSaid(text))
    assert only_tool(actions) == CallTool(
        "request_operator_handoff", {"reason": "caller asked for a person"}
    )
    assert "connect you" in said(actions)


def test_dtmf_zero_hands_off(known):
    assert only_tool(decide(known, Dtmf("0"))).name == "request_operator_handoff"
    assert decide(new_state(parse_context(BASE, [])), Dtmf("5")) == []


def test_do_not_call(known):
    assert (
        only_tool(decide(known, UserSaid("please don't call me again"))).name == "set_do_not_call"
    )
    assert only_tool(decide(known, ToolResult("set_do_not_call", {"ok": True}))).name == "end_call"


def test_service_history(known):
    assert (
        only_tool(decide(known, UserSaid("when was my last service"))).name == "get_service_history"
    )
    out = {
        "ok": True,
        "records": [{"date": "2026-06-01", "service_type": "oil_change", "description": "x"}],
    }
    assert "oil change on Monday, June 1" in said(
        decide(known, ToolResult("get_service_history", out))
    )


def test_misheard_turn_reprompts_then_hands_off(known):
    for _ in range(3):
        reply = decide(known, UserSaid("hmm"))
        assert "didn't catch" in said(reply) and not tools(reply)
    assert only_tool(decide(known, UserSaid("hmm"))).name == "request_operator_handoff"


def test_interrupted_tool_call_is_forgotten(known):
    actions = decide(known, UserSaid("book an oil change on tuesday"))
    assert known.pending == "check_availability"
    decide(known, Interrupted(tuple(actions)))
    assert known.pending is None
    assert only_tool(decide(known, UserSaid("tuesday"))).name == "check_availability"


def test_unrecognised_speech_gets_a_reprompt(known):
    reply = decide(known, UserSaid(""))
    assert "didn't catch" in said(reply) and "help you" in said(reply)
