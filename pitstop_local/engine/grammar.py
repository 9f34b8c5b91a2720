"""What the offline engine can hear: caller phrases generated from the shop's vocabulary.

Why a closed grammar: PocketSphinx with a free language model mishears telephone audio badly;
against a grammar of the phrases a caller of a service centre says (built from the shop's
services, weekdays, dates, clock times, yes/no, names, cars…) it is fast and accurate.

The phrase list stays in the hundreds, not the tens of thousands: slots are combined only
where a caller combines them in one breath ("book an oil change on tuesday", "tuesday
morning"); everything else is its own short phrase, and the policy fills slots across turns.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pitstop_local.engine.context import Context
from pitstop_local.speech.words import MONTHS, WEEKDAYS, spell_ordinal, spell_time

FIRST_NAMES = (
    "alex", "jordan", "taylor", "casey", "riley", "morgan", "jamie", "avery", "quinn", "drew",
    "sam", "charlie", "robin", "logan", "cameron", "blake", "jesse", "john", "jane", "mary",
    "james", "michael", "sarah", "david", "emily", "maria", "chris", "pat", "lisa", "mark",
)  # fmt: skip
LAST_NAMES = (
    "morgan", "rivera", "chen", "patel", "johnson", "nguyen", "garcia", "smith", "kim", "brown",
    "davis", "lopez", "wilson", "martin", "clark", "lewis", "walker", "hall", "young", "king",
    "wright", "scott", "green", "baker", "adams", "nelson", "hill", "miller", "jones", "taylor",
)  # fmt: skip
YES = (
    "yes",
    "yes please",
    "yeah",
    "yep",
    "sure",
    "that works",
    "sounds good",
    "correct",
    "yes that works",
    "yes i will be there",
    "yes i'll be there",
    "yes that's right",
    "okay",
)
NO = (
    "no",
    "no thanks",
    "no thank you",
    "nope",
    "no that's all",
    "that's all",
    "nothing else",
    "no that's it",
    "that's it",
    "no that's all thank you",
    "that's all thank you",
)
GOODBYE = ("goodbye", "bye", "bye bye", "thanks goodbye", "thank you goodbye", "okay goodbye")
HANDOFF = (
    "i'd like to talk to a person",
    "can i talk to a person",
    "talk to a person",
    "i want to speak to a person",
    "operator",
    "representative",
    "i want a human",
    "let me speak to someone",
    "i'd like to speak to a manager",
)
DNC = (
    "don't call me again",
    "please don't call me again",
    "stop calling me",
    "do not call me again",
    "take me off your list",
)
MOVE = (
    "i need to move my appointment",
    "i'd like to move my appointment",
    "i need to reschedule my appointment",
    "i'd like to reschedule",
    "can i move it",
    "i need to move it",
    "move it",
    "reschedule",
)
CANCEL = (
    "i need to cancel my appointment",
    "i'd like to cancel my appointment",
    "cancel my appointment",
    "please cancel it",
    "cancel it",
    "i need to cancel it",
)
HISTORY = (
    "what's my service history",
    "when was my last service",
    "my service history",
    "what was done last time",
)
MESSAGE = (
    "take a message",
    "yes take a message",
    "yes please take a message",
    "leave a message",
    "i'd like to leave a message",
    "can i leave a message",
    "call me back",
    "yes call me back",
    "ask them to call me back",
    "please ask them to call me back",
    "have them call me back",
)
#: What a message is about, besides the shop's services ("about my brakes").
ABOUT = (
    "my car", "my appointment", "my bill", "a quote", "my brakes", "my tires", "my battery",
    "a noise", "the warning light", "my engine",
)  # fmt: skip
#: Said before what a message is about, in one breath ("yes take a message about my car").
ABOUT_LEADS = (
    "", "it's", "yes take a message", "please ask them to call me back",
    "yes please ask them to call me back", "i'd like to leave a message",
)  # fmt: skip
BOOK_LEADS = (
    "i'd like to book",
    "i need",
    "i want to book",
    "can i book",
    "book",
    "i'd like to schedule",
    "i need to book",
)
TOD = (
    "morning",
    "afternoon",
    "in the morning",
    "in the afternoon",
    "any time",
    "the morning",
    "the afternoon",
    "morning please",
    "afternoon please",
)
YEARS = tuple(range(2008, 2027))
OTHER = (
    "hello",
    "hi",
    "help",
    "what",
    "sorry",
    "i don't know",
    "maybe",
    "the first one",
    "the second one",
    "something else",
    "my car",
    "that one",
)


def _article(phrase: str) -> str:
    return "an" if phrase[:1] in "aeiou" else "a"


def _year_words(year: int) -> list[str]:
    """ "twenty eighteen" and "two thousand eighteen" (how `normalize_words("2018")` spells it)."""
    from pitstop_local.speech.words import spell_number

    words = [spell_number(year)]
    if 2000 <= year < 2010:
        words.append(f"twenty oh {spell_number(year - 2000)}")
    else:
        words.append(f"{spell_number(year // 100)} {spell_number(year % 100)}")
    return words


def _days(today: dt.date) -> list[str]:
    days = ["today", "tomorrow", "the day after tomorrow", "next week"]
    for name in WEEKDAYS:
        days += [name, f"on {name}", f"next {name}", f"this {name}"]
    for offset in range(21):
        day = today + dt.timedelta(days=offset)
        days += [
            f"{MONTHS[day.month - 1]} {spell_ordinal(day.day)}",
            f"the {spell_ordinal(day.day)}",
        ]
    return list(dict.fromkeys(days))


def _times() -> list[str]:
    times = []
    for hour in range(8, 18):
        for minute in (0, 30):
            plain = spell_time(hour, minute)
            times += [
                plain,
                f"at {plain}",
                spell_time(hour, minute, am_pm=True),
                f"at {spell_time(hour, minute, am_pm=True)}",
            ]
    times += ["noon", "at noon"]
    return list(dict.fromkeys(times))


#: Which phrase set to listen with, by what the agent just asked (the policy's `awaiting`).
_STATE_OF = {
    "name": "name",
    "vehicle": "vehicle",
    "service": "service",
    "day": "when",
    "time": "when",
    "confirm_slot": "when",
    "confirm": "when",
    "confirm_cancel": "when",
    "which_appointment": "when",
    "move_or_cancel": "when",
    "message_offer": "message",
    "message_about": "message",
}
STATES = ("open", "when", "name", "vehicle", "service", "message")


def grammar_state(awaiting: str | None) -> str:
    """The phrase set for the caller's answer after the agent asked `awaiting`. A smaller
    active grammar is faster and more accurate; every set keeps the ways out (yes/no, a
    person, goodbye, don't call me)."""
    return _STATE_OF.get(awaiting or "", "open")


def build_phrases(ctx: Context, state: str = "open") -> tuple[str, ...]:
    """The phrases for this context and state.

    Deterministic: equal inputs share one compiled grammar.
    """
    return _build(
        tuple(sorted(ctx.services)),
        tuple(sorted(ctx.makes.items())),
        tuple(sorted(ctx.models.items())),
        ctx.today,
        state,
    )


def _day_phrases() -> list[str]:
    days = []
    for name in WEEKDAYS:
        for lead in ("on ", "for ", "next ", ""):
            days.append(f"{lead}{name}")
            days += [f"{lead}{name} morning", f"{lead}{name} afternoon"]
    days += ["tomorrow", "tomorrow morning", "tomorrow afternoon"]
    return days


@lru_cache(maxsize=64)
def _build(
    services: tuple[str, ...], makes: tuple, models: tuple, today: dt.date, state: str
) -> tuple[str, ...]:
    phrases = _ways_out()
    if state in ("open", "when", "message"):
        phrases += MESSAGE
    if state in ("open", "when"):
        phrases += MOVE + CANCEL + HISTORY
        phrases += [f"sorry {m}" for m in MOVE[:4] + CANCEL[:3]]
    if state in ("open", "service", "when"):
        phrases += _service_phrases(services)
    if state == "open":
        phrases += _service_on_day_phrases(services)
    if state == "when":
        phrases += _when_phrases(today)
    if state == "name":
        phrases += _name_phrases()
    if state == "vehicle":
        phrases += _vehicle_phrases(makes, models)
    if state in ("open", "message"):
        phrases += _about_phrases(services)
    return tuple(dict.fromkeys(p for p in phrases if p))


def _ways_out() -> list[str]:
    """What every state hears: yes/no, goodbye, a person, don't call me."""
    phrases: list[str] = list(YES + NO + GOODBYE + HANDOFF + DNC + OTHER)
    phrases += [
        f"{n} {b}"
        for n in ("no", "no thanks", "no that's all", "no that's it", "that's all")
        for b in ("goodbye", "bye", "thank you goodbye", "thanks bye")
    ]
    phrases += [f"{h} please" for h in HANDOFF]
    phrases += ["can i talk to a real person please", "can i speak to a real person please"]
    return phrases


def _service_phrases(services: tuple[str, ...]) -> list[str]:
    phrases = []
    for service in services:
        art = _article(service)
        phrases += [
            service,
            f"{art} {service}",
            f"i need {art} {service}",
            f"{service} please",
            f"i'd like to book {art} {service}",
            f"i want to book {art} {service}",
            f"book {art} {service}",
        ]
    return phrases


def _service_on_day_phrases(services: tuple[str, ...]) -> list[str]:
    """A service and a day in one breath (the opening request)."""
    days = _day_phrases()
    phrases = []
    for service in services:
        if len(service.split()) < 2 and service not in ("oil", "brakes", "battery"):
            continue  # one-word aliases only as the whole answer
        art = _article(service)
        for day in days:
            phrases += [
                f"i'd like to book {art} {service} {day}",
                f"i need {art} {service} {day}",
                f"hi i'd like to book {art} {service} {day} please",
            ]
    return phrases


def _about_phrases(services: tuple[str, ...]) -> list[str]:
    """What a message is about, alone or after taking the offer ("it's about my brakes")."""
    topics = [*ABOUT, *(f"{_article(s)} {s}" for s in services if len(s.split()) > 1)]
    return [f"{lead} about {topic}".strip() for lead in ABOUT_LEADS for topic in topics]


def _when_phrases(today: dt.date) -> list[str]:
    phrases = [*_days(today), *_day_phrases()]
    phrases += [f"{d} please" for d in _day_phrases()]
    phrases += [*TOD, *_times()]
    for day in WEEKDAYS:
        phrases += [
            f"can we do {day}",
            f"how about {day}",
            f"move it to {day}",
            f"can i move it to {day}",
            f"i'd like to move it to {day}",
            f"no can we do {day}",
            f"no how about {day}",
        ]
    return phrases


def _name_phrases() -> list[str]:
    phrases = []
    for first in FIRST_NAMES:
        phrases.append(first)
        for last in LAST_NAMES:
            phrases += [f"my name is {first} {last}", f"{first} {last}"]
    return phrases


def _vehicle_phrases(makes: tuple, models: tuple) -> list[str]:
    spoken_years = [w for y in YEARS for w in _year_words(y)]
    phrases = list(spoken_years)
    make_of = {canonical: spoken for spoken, canonical in sorted(makes)}
    for model, (make, _) in models:
        spoken_make = make_of.get(make)
        phrases += [model, f"a {model}"]
        if spoken_make:
            phrases += [f"{spoken_make} {model}", f"a {spoken_make} {model}"]
            phrases += [f"a {year} {spoken_make} {model}" for year in spoken_years]
        else:
            phrases += [f"a {year} {model}" for year in spoken_years]
    phrases += [spoken for spoken, _ in makes]
    return phrases
