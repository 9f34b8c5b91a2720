"""Phrase templates for what a caller says to a car service receptionist.

Why here: recognition quality depends far more on the grammar than on anything else (see
``asr``), and the grammar must cover the words the simulated caller actually speaks. The
engine builds its ``Recognizer`` from :func:`caller_phrases` plus its own shop data (service
names, dates it offered, the customer's name); scenario authors keep caller lines inside
these templates (``covers`` checks that).

Template syntax: ``[optional]``, ``(a | b)`` choices, plain words; numbers/times may be
written as digits ("9:30") and are spelled out when compiled.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

from pitstop_local.speech.fsg import CompiledGrammar, compile_phrases
from pitstop_local.speech.words import WEEKDAYS, normalize_text, spell_date, spell_time

YES = "(yes | yeah | yep | sure | okay | correct | right | perfect | great)"
NO = "(no | nope)"
POLITE = "(please | thanks | thank you)"
WANT = "(i'd like to | i would like to | i want to | i need to | can i | could i | i'll | let's)"
PERIOD = "(morning | afternoon | evening)"
PERSON = (
    "(a person | someone | somebody | a human | a real person | an agent | a representative"
    " | the front desk | the manager | the operator | a mechanic | the service desk)"
)


def _alt(items: Iterable[str]) -> str:
    items = [i for i in dict.fromkeys(items) if i]
    return "(" + " | ".join(items) + ")" if items else ""


def time_phrases(start_hour: int = 7, end_hour: int = 19, step_minutes: int = 15) -> list[str]:
    """Spoken clock times within opening hours: "nine", "nine o'clock", "nine thirty",
    "nine fifteen", "ten a m", "noon"…"""
    out: list[str] = ["noon", "midday"]
    for hour in range(start_hour, end_hour + 1):
        for minute in range(0, 60, step_minutes):
            spoken = spell_time(hour, minute)
            out.append(spoken)
            if minute == 0:
                out.append(spoken.replace(" o'clock", ""))
            out.append(spell_time(hour, minute, am_pm=True))
    return list(dict.fromkeys(out))


def date_phrases(days: Iterable[_dt.date]) -> list[str]:
    """Spoken dates for ``days``: "november twenty seventh", "the twenty seventh"…"""
    out: list[str] = []
    for day in days:
        spoken = spell_date(day)
        ordinal = spoken.split(" ", 1)[1]
        out += [spoken, f"the {ordinal}", f"{ordinal} of {spoken.split(' ', 1)[0]}"]
    return list(dict.fromkeys(out))


def caller_phrases(
    services: Iterable[str] = (),
    *,
    days: Iterable[_dt.date] = (),
    names: Iterable[str] = (),
    vehicles: Iterable[str] = (),
    extra: Iterable[str] = (),
) -> list[str]:
    """Templates covering a caller's side of booking, moving, cancelling, confirming,
    history, hand-off and goodbye. ``services``: the shop's service names ("oil change");
    ``days``: dates the caller may name; ``names``: customers' names ("john smith": the
    first name alone is accepted too); ``vehicles``: makes/models ("honda civic");
    ``extra``: more templates."""
    days = list(days)
    opener = "[(hi | hello | hey | yes | yeah | okay | so | well)]"
    service = _alt(normalize_text(s) for s in services)
    thing = _alt(
        [f"[(an | a | the | my)] {service}" if service else "",
         "an appointment", "a service", "service", "maintenance"]
    )  # fmt: skip
    weekday = _alt([*WEEKDAYS, "today", "tomorrow"])
    clock = _alt(time_phrases())
    dates = date_phrases(days)
    day = _alt([f"[(this | next)] {weekday}", *dates])
    when = _alt(
        [f"[on] {day} [[in the] {PERIOD}] [at {clock}]",
         f"[at] {clock} [on {day}]",
         f"[in the] {PERIOD}", "next week", "this week", "any time", "anytime",
         "the (first | second | third | earliest | last) one", "(earlier | later | sooner)"]
    )  # fmt: skip
    car = _alt(["my car", "my truck", "my vehicle", "the car", "my van",
                *(f"my {normalize_text(v)}" for v in vehicles)])  # fmt: skip
    appointment = "(my appointment | the appointment | my booking | it)"
    full_names = [normalize_text(n) for n in names]
    name = _alt([*full_names, *(n.split()[0] for n in full_names if n)])
    phrases = [
        # answers and fillers
        "(hi | hello | hey) [there]",
        "(good morning | good afternoon)",
        f"{YES} [{POLITE}]",
        f"{NO} [{POLITE}]",
        (
            f"{YES} (that works | that's right | that's fine | that's correct | sounds good"
            " | works for me | go ahead | book it | please book it | that's me | i can)"
        ),
        (
            f"[{NO}] (that doesn't work | that won't work | not really | i can't make it"
            " | i can't | that's wrong)"
        ),
        POLITE,
        # booking
        (
            f"{opener} [{WANT}] (book | schedule | make | get) [{thing}] [for {car}] [{when}]"
            f" [{POLITE}]"
        ),
        (
            f"{opener} [(i need | i want | i'd like | i would like)] {thing} [for {car}] [{when}]"
            f" [{POLITE}]"
        ),
        (
            f"{opener} [(how about | what about | do you have | do you have anything"
            " | is there anything | can i come | let's do | let's say | maybe | i'd prefer)]"
            f" {when} [(is fine | works | please | would be great | if possible)]"
        ),
        (
            f"{opener} [(can you | could you | please)] book (me in | it | that) [for] [{when}]"
            f" [{POLITE}]"
        ),
        (
            f"{opener} (what's available | what do you have | when are you open"
            " | what times do you have)"
        ),
        # moving / cancelling / confirming
        f"{opener} [{WANT}] (reschedule | move | change) {appointment} [to {when}] [{POLITE}]",
        f"{opener} [{WANT}] cancel {appointment} [{POLITE}]",
        f"{opener} (i confirm | i can confirm | i will be there | i'll be there) [{POLITE}]",
        f"{opener} [{WANT}] confirm {appointment} [{POLITE}]",
        # history, texts, identity
        f"{opener} when was my last {thing}",
        f"{opener} [(what's | what is)] my service history",
        (
            f"{opener} [(can you | could you | please)] (send | text) me [a]"
            " (text | confirmation | message)"
        ),
        f"{opener} [(my name is | it's | this is | i'm)] {name}" if name else "",
        # hand-off and goodbye
        f"{opener} [{WANT}] (talk | speak) to {PERSON} [{POLITE}]",
        f"{opener} [(can | could | may)] i (talk | speak) to {PERSON} [{POLITE}]",
        f"[that's (all | it)] [{POLITE}] (goodbye | bye | bye bye) [{POLITE}]",
        f"that's (all | it) [{POLITE}]",
        *extra,
    ]
    return [p for p in phrases if p]


_STRIP_RE = re.compile(r"[\[\]()|]")


_compiled: dict[tuple[str, ...], CompiledGrammar] = {}


def covers(phrases: Iterable[str], text: str) -> bool:
    """Whether ``text`` (e.g. a scenario's caller line) is a sentence of the templates - so a
    recogniser built from them can hear it. Pure Python, no decoder needed; compiled
    templates are cached per phrase list."""
    key = tuple(phrases)
    if key not in _compiled:
        _compiled[key] = compile_phrases(key, lambda w: [w], chain_penalty=None)
    return _compiled[key].accepts(text)


def vocabulary(phrases: Iterable[str]) -> set[str]:
    """All words the templates can produce (after normalisation)."""
    words: set[str] = set()
    for p in phrases:
        words.update(normalize_text(_STRIP_RE.sub(" ", p)).split())
    return words
