"""Utterance parsing and the session-instructions reader of the offline engine."""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_local.engine import nlu
from pitstop_local.engine.context import parse_context
from pitstop_local.engine.grammar import build_phrases, grammar_state

TODAY = dt.date(2026, 11, 26)  # Thursday
SERVICES = {
    "oil change": "Oil change",
    "tire rotation": "Tire rotation",
    "brake service": "Brake service",
    "a c service": "A/C service",
    "state inspection": "State inspection",
}


def parse(text, expecting=None):
    ctx = parse_context("", [])
    return nlu.parse(text, TODAY, SERVICES, ctx.makes, ctx.models, expecting=expecting)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("tuesday", dt.date(2026, 12, 1)),
        ("on thursday", dt.date(2026, 12, 3)),  # "thursday" on a Thursday is next week's
        ("next monday", dt.date(2026, 11, 30)),
        ("tomorrow", dt.date(2026, 11, 27)),
        ("the day after tomorrow", dt.date(2026, 11, 28)),
        ("today", TODAY),
        ("december third", dt.date(2026, 12, 3)),
        ("the thirtieth", dt.date(2026, 11, 30)),
        ("january second", dt.date(2027, 1, 2)),
        ("Dec 1st", None),
    ],
)
def test_days_resolve_relative_to_today(text, day):
    assert parse(text).day == day


@pytest.mark.parametrize(
    ("text", "expecting", "time"),
    [
        ("morning", None, "morning"),
        ("friday in the afternoon", None, "afternoon"),
        ("at nine thirty", None, "09:30"),
        ("two p m", None, "14:00"),
        ("at ten", None, "10:00"),
        ("at 2:30pm", None, "14:30"),
        ("four o'clock", None, "16:00"),
        ("nine", "time", "09:00"),
        ("nine", None, None),
        ("any time", None, "any"),
        ("noon", None, "12:00"),
    ],
)
def test_times(text, expecting, time):
    assert parse(text, expecting).time_pref == time


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I'd like to book an oil change on Tuesday", "book"),
        ("I need to reschedule my appointment", "move"),
        ("Sorry, I need to move my appointment.", "move"),
        ("I'd like to cancel my appointment", "cancel"),
        ("Can I talk to a real person please?", "handoff"),
        ("Don't call me again", "dnc"),
        ("No, that's all. Goodbye.", "goodbye"),
        ("what's my service history", "history"),
        ("brakes", "book"),
    ],
)
def test_intents(text, intent):
    assert parse(text).intent == intent


def test_services_by_name_and_by_distinctive_word():
    assert parse("an oil change please").service == "Oil change"
    assert parse("my brakes are squeaking").service == "Brake service"
    assert parse("rotate the tires").service == "Tire rotation"
    assert parse("A/C service").service == "A/C service"
    assert parse("hello").service is None


def test_yes_no():
    assert parse("Yes, that works.").yes and not parse("Yes, that works.").no
    assert parse("no thanks").no and not parse("no thanks").yes
    assert parse("nothing else").no


def test_names_and_vehicles():
    assert parse("My name is Jordan Rivera.").name == "Jordan Rivera"
    assert parse("jordan rivera", expecting="name").name == "Jordan Rivera"
    assert parse("i'm looking to book").name is None
    v = parse("A 2018 Honda Civic.").vehicle
    assert (v.make, v.model, v.year) == ("Honda", "Civic", 2018)
    v = parse("a twenty oh nine chevy silverado").vehicle
    assert (v.make, v.model, v.year) == ("Chevrolet", "Silverado", 2009)
    assert parse("two thousand twelve camry").vehicle.year == 2012


def test_context_from_the_bridge_instructions():
    text = (
        "You are Robin, the AI assistant answering the phone for Pitstop Demo Garage, a car "
        "service centre.\n"
        "Shop: Pitstop Demo Garage. Address: 1 Main St. Phone: +15551239000. Time zone: "
        "America/Chicago.\n"
        "Today is Friday, November 27, 2026.\n"
        "Services (typical price range): Oil change ($49-$89); Tire rotation ($25-$40); A/C "
        "service ($99-$250).\n"
        "This is an outbound reminder call that you placed to Alex Morgan about their "
        "appointment:\n"
        "x. The appointment id is apt_abc123. Keep the call brief.\n"
    )
    ctx = parse_context(text, [])
    assert ctx.direction == "reminder" and ctx.appointment_id == "apt_abc123"
    assert ctx.today == dt.date(2026, 11, 27) and ctx.timezone == "America/Chicago"
    assert ctx.shop_name == "Pitstop Demo Garage" and ctx.persona == "Robin"
    assert ctx.services == {
        "oil change": "Oil change",
        "tire rotation": "Tire rotation",
        "a c service": "A/C service",
    }


def test_context_markers_and_defaults():
    ctx = parse_context(
        "direction: inbound\nToday: 2026-12-24\nShop name: Joe's Garage\n"
        "Upcoming appointments: x (id apt_zzz)\n",
        [],
    )
    assert ctx.direction == "inbound" and ctx.appointment_id is None
    assert ctx.today == dt.date(2026, 12, 24) and ctx.shop_name == "Joe's Garage"
    assert "oil change" in ctx.services  # built-in services when none are listed
    enum_tool = {
        "type": "function",
        "name": "check_availability",
        "parameters": {"properties": {"service_type": {"enum": ["oil_change", "wiper_blades"]}}},
    }
    assert parse_context("", [enum_tool]).services["wiper blades"] == "wiper_blades"


@pytest.mark.parametrize(
    ("awaiting", "phrases"),
    [
        (
            None,
            [
                "i'd like to book an oil change on tuesday",
                ("hi i'd like to book an oil change for friday morning please"),
                "i need to reschedule my appointment",
                "i'd like to cancel my appointment",
                "can i talk to a real person please",
                "no that's all goodbye",
                "please don't call me again",
            ],
        ),
        ("name", ["my name is jordan rivera", "goodbye"]),
        ("vehicle", ["a twenty eighteen honda civic", "a two thousand eighteen honda civic"]),
        (
            "confirm_slot",
            [
                "yes that works",
                "yes please",
                "tuesday afternoon",
                "at nine thirty",
                "december third",
                "no thanks bye",
                "i'd like to talk to a person",
            ],
        ),
        ("day", ["monday afternoon", "tomorrow"]),
        ("confirm", ["yes i'll be there", "cancel it"]),
    ],
)
def test_grammar_covers_what_callers_say(awaiting, phrases):
    ctx = parse_context(
        "Today is Thursday, November 26, 2026.\nServices (typical price range): Oil change "
        "($49-$89).",
        [],
    )
    grammar = set(build_phrases(ctx, grammar_state(awaiting)))
    for phrase in phrases:
        assert phrase in grammar
    assert len(grammar) < 5000  # a grammar, not an enumeration of every sentence
