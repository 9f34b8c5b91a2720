"""Understanding one caller utterance: text (as the recogniser hears it) → `Parsed` slots.

Why keyword/pattern parsing rather than a model: the recogniser decodes against a closed domain
grammar, so its output is already constrained lowercase words ("book an oil change on tuesday
morning"). Matching those words deterministically keeps the offline engine fast, predictable
and testable; every slot the policy fills comes from here.

Dates resolve relative to `today` (the date in the session instructions): "tuesday" is the next
Tuesday after today, "tomorrow", "the day after tomorrow", "december third", "the third".
Times: "morning" / "afternoon" / "any time", or a clock time ("nine thirty", "two p m",
"at ten", "noon") → "HH:MM" (hours 7-11 are morning, 12-6 afternoon when no a m / p m).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pitstop_local.speech.words import MONTHS, WEEKDAYS, normalize_words

_ONES = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip

YES_PHRASES = (
    "yes", "yeah", "yep", "yup", "sure", "correct", "right", "ok", "okay", "please do",
    "sounds good", "that works", "that's fine", "perfect", "absolutely", "go ahead",
    "i'll be there", "i will be there", "confirm", "book it", "do it", "great",
)  # fmt: skip
NO_PHRASES = ("no", "nope", "nah", "not really", "no thanks", "no thank you", "negative")
NOTHING_ELSE_PHRASES = (
    "nothing else",
    "that's all",
    "that is all",
    "that's it",
    "i'm good",
    "all set",
)
GOODBYE_PHRASES = ("goodbye", "good bye", "bye", "bye bye", "hang up", "have a good day")
HANDOFF_PHRASES = (
    "person", "human", "operator", "representative", "someone", "somebody", "real person",
    "staff", "mechanic", "manager", "supervisor", "lawyer", "complaint",
)  # fmt: skip
#: Leaving a message for a call back (checked before a person: "can someone call me back").
MESSAGE_PHRASES = (
    "message", "call me back", "call back", "callback", "get back to me", "ring me back",
)  # fmt: skip
DNC_PHRASES = (
    "don't call me", "do not call me", "stop calling", "don't call again", "take me off",
    "remove me", "do not call",
)  # fmt: skip
INTENT_WORDS = {
    "cancel": ("cancel", "call off"),
    "move": ("move", "reschedule", "change my appointment", "change the appointment",
             "different day", "different time", "push it", "another day"),
    "history": ("history", "last service", "last visit", "service records", "what was done",
                "past services", "previous service"),
    "book": ("book", "schedule", "make an appointment", "an appointment", "appointment for",
             "need a", "need an", "like a", "like an", "want a", "want an", "bring my car",
             "bring in", "come in"),
    "confirm": ("confirm",),
}  # fmt: skip


@dataclass
class Vehicle:
    make: str | None = None
    model: str | None = None
    year: int | None = None


@dataclass
class Parsed:
    """What one utterance says; None/False means "not mentioned"."""

    text: str
    intent: str | None = None  # book | move | cancel | history | handoff | message | dnc | goodbye
    yes: bool = False
    no: bool = False
    nothing_else: bool = False
    service: str | None = None
    day: dt.date | None = None
    time_pref: str | None = None  # morning | afternoon | any | HH:MM
    name: str | None = None
    vehicle: Vehicle = field(default_factory=Vehicle)
    about: str | None = None  # what a message is about: "my brakes" (from "... about my brakes")


def _has(text: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z']){re.escape(phrase)}(?![a-z'])", text) is not None


def _any(text: str, phrases) -> bool:
    return any(_has(text, p) for p in phrases)


def parse(
    raw: str,
    today: dt.date,
    services: dict[str, str] | None = None,
    makes: dict[str, str] | None = None,
    models: dict[str, tuple[str, str]] | None = None,
    expecting: str | None = None,
) -> Parsed:
    """Parse `raw` caller text.

    `services` maps a spoken phrase (lowercase words) → the service value the tools take;
    `makes` maps spoken make → canonical make; `models` maps spoken model → (make, model).
    `expecting` is what the agent just asked ("time", "name", "day", ...): it lets a bare
    "nine" be a time or "john smith" be a name.
    """
    words = normalize_words(raw)
    text = " ".join(words)
    p = Parsed(text=text)
    if not text:
        return p
    p.service = match_service(text, services or {})
    p.day = parse_day(words, today)
    p.time_pref = parse_time(words, expecting == "time")
    p.vehicle = parse_vehicle(words, makes or {}, models or {})
    p.name = parse_name(words, expecting == "name")
    p.about = parse_about(words)

    p.yes = _any(text, YES_PHRASES) and not _any(text, ("not right", "no"))
    p.no = _any(text, NO_PHRASES) and not p.yes
    p.nothing_else = _any(text, NOTHING_ELSE_PHRASES)
    if p.nothing_else:
        p.no, p.yes = True, False

    if _any(text, DNC_PHRASES):
        p.intent = "dnc"
    elif _any(text, MESSAGE_PHRASES):
        p.intent = "message"
    elif _any(text, HANDOFF_PHRASES) and not p.service:
        p.intent = "handoff"
    elif _any(text, GOODBYE_PHRASES):
        p.intent = "goodbye"
    else:
        for intent, phrases in INTENT_WORDS.items():
            if _any(text, phrases):
                p.intent = intent
                break
        if p.intent == "confirm" and expecting != "confirm":
            p.intent, p.yes = None, True
        if (
            p.intent is None
            and p.service
            and expecting in (None, "intent", "anything_else", "name")
        ):
            p.intent = "book"  # "an oil change on friday" as an opening request
    if p.intent == "confirm":
        p.intent, p.yes = None, True
    return p


# --- services --------------------------------------------------------------------------------

_GENERIC = {"service", "services", "check", "change", "a", "an", "the", "and", "of", "my", "car"}


def match_service(text: str, services: dict[str, str]) -> str | None:
    """The longest service phrase in `text`, else a service whose distinctive word appears
    ("oil" → oil change, "brakes" → brake service)."""
    best = None
    for phrase in sorted(services, key=len, reverse=True):
        if _has(text, phrase):
            best = services[phrase]
            break
    if best:
        return best
    tokens = set(text.split()) | {w.rstrip("s") for w in text.split()}
    owners: dict[str, set[str]] = {}
    for phrase, value in services.items():
        for word in phrase.split():
            if word not in _GENERIC and len(word) > 2:
                owners.setdefault(word.rstrip("s"), set()).add(value)
                owners.setdefault(word, set()).add(value)
    for word in text.split():
        for key in (word, word.rstrip("s")):
            values = owners.get(key)
            if values and len(values) == 1 and key in tokens:
                return next(iter(values))
    return None


# --- dates -----------------------------------------------------------------------------------


def _ordinal_at(words: list[str], i: int) -> tuple[int, int] | None:
    """(day number, words used) for an ordinal starting at words[i]: "third", "twenty first"."""
    if i >= len(words):
        return None
    w = words[i]
    if w in _ORDINALS:
        return _ORDINALS[w], 1
    if w in ("twenty", "thirty") and i + 1 < len(words) and words[i + 1] in _ORDINALS:
        value = _TENS[w] + _ORDINALS[words[i + 1]]
        return (value, 2) if value <= 31 else None
    return None


def parse_day(words: list[str], today: dt.date) -> dt.date | None:
    text = " ".join(words)
    if (relative := _relative_day(text, today)) is not None:
        return relative
    if (month_and_day := _month_and_ordinal(words)) is not None:
        return _next_date(today, *month_and_day)
    if (weekday := _weekday(words, text, today)) is not None:
        return weekday
    if _has(text, "next week"):
        return today + dt.timedelta(days=(7 - today.weekday()) or 7)
    for i, w in enumerate(words):
        if w == "the" and (hit := _ordinal_at(words, i + 1)):
            return _next_date(today, None, hit[0])
    return None


def _relative_day(text: str, today: dt.date) -> dt.date | None:
    if _has(text, "day after tomorrow"):
        return today + dt.timedelta(days=2)
    if _has(text, "tomorrow"):
        return today + dt.timedelta(days=1)
    if _has(text, "today") or _has(text, "this afternoon") or _has(text, "this morning"):
        return today
    return None


def _month_and_ordinal(words: list[str]) -> tuple[int, int] | None:
    """(month, day number) for "december third" or "december the third"."""
    for i, w in enumerate(words):
        if w in MONTHS:
            hit = _ordinal_at(words, i + 1)
            if hit is None and i + 2 < len(words) and words[i + 1] == "the":
                hit = _ordinal_at(words, i + 2)
            if hit:
                return MONTHS.index(w) + 1, hit[0]
    return None


def _weekday(words: list[str], text: str, today: dt.date) -> dt.date | None:
    """The next such weekday after today ("next tuesday next week" skips a week)."""
    for i, w in enumerate(words):
        if w in WEEKDAYS:
            ahead = (WEEKDAYS.index(w) - today.weekday()) % 7 or 7
            if i > 0 and words[i - 1] == "next" and ahead < 7 and _has(text, "next week"):
                ahead += 7
            return today + dt.timedelta(days=ahead)
    return None


def _next_date(today: dt.date, month: int | None, day: int) -> dt.date | None:
    """The first date on/after today with that month (or any month) and day number."""
    year, m = today.year, month or today.month
    for _ in range(14):
        try:
            candidate = dt.date(year, m, day)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        if month:
            year += 1
        else:
            m += 1
            if m > 12:
                m, year = 1, year + 1
    return None


# --- times -----------------------------------------------------------------------------------

_HOURS = {k: v for k, v in _ONES.items() if v <= 12}
_MINUTE_WORDS = {"fifteen": 15, "thirty": 30, "forty five": 45, "forty": 40, "twenty": 20,
                 "ten": 10, "five": 5, "o'clock": 0}  # fmt: skip


def parse_time(words: list[str], expecting_time: bool = False) -> str | None:
    for i, w in enumerate(words):
        if w in ("noon", "midday"):
            return "12:00"
        if w in _HOURS and (clock := _clock_time(words, i, expecting_time)):
            return clock
    return _time_of_day(" ".join(words))


def _clock_time(words: list[str], i: int, expecting_time: bool) -> str | None:
    """ "HH:MM" for the hour word at words[i], unless nothing marks it as a time ("at", minutes,
    a m / p m) and no time was asked for: "two" alone may be a count."""
    minute, used, explicit = _minutes(words[i + 1 : i + 4])
    explicit = explicit or (i > 0 and words[i - 1] in ("at", "around", "about", "by"))
    j = i + 1 + used
    tail = words[j : j + 2]
    pm = tail in (["p", "m"], ["pm"]) or tail[:1] == ["pm"]
    am = tail in (["a", "m"], ["am"]) or tail[:1] == ["am"]
    if not (explicit or pm or am or tail == ["in", "the"] or expecting_time):
        return None
    hour = _24_hour(_HOURS[words[i]], am=am, pm=pm)
    if _has(" ".join(tail + words[j + 2 : j + 4]), "afternoon") and hour < 12:
        hour += 12
    return f"{hour:02d}:{minute:02d}"


def _minutes(rest: list[str]) -> tuple[int, int, bool]:
    """(minute, words used, whether they mark a clock time) for the words after an hour."""
    if rest[:1] == ["o'clock"]:
        return 0, 1, True
    if rest[:1] == ["oh"] and len(rest) > 1 and rest[1] in _ONES and _ONES[rest[1]] < 10:
        return _ONES[rest[1]], 2, True
    if rest[:2] == ["forty", "five"]:
        return 45, 2, True
    if rest[:1] and rest[0] in ("fifteen", "thirty", "forty", "fifty", "twenty", "ten"):
        if rest[0] in _TENS and len(rest) > 1 and rest[1] in _ONES and _ONES[rest[1]] < 10:
            return _TENS[rest[0]] + _ONES[rest[1]], 2, True
        return _MINUTE_WORDS.get(rest[0], _ONES.get(rest[0], 0)), 1, True
    return 0, 0, False


def _24_hour(hour: int, *, am: bool, pm: bool) -> int:
    """Without a m / p m, 7-11 are morning and 12-6 afternoon (a shop's hours)."""
    if pm and hour < 12:
        return hour + 12
    if am and hour == 12:
        return 0
    if not am and not pm and hour <= 6:
        return hour + 12
    return hour


def _time_of_day(text: str) -> str | None:
    if _has(text, "morning") or _has(text, "early"):
        return "morning"
    if _has(text, "afternoon") or _has(text, "after lunch") or _has(text, "evening"):
        return "afternoon"
    if _any(text, ("any time", "anytime", "whenever", "doesn't matter", "either", "no preference")):
        return "any"
    return None


# --- names and vehicles ----------------------------------------------------------------------

_NAME_LEADS = (("my", "name", "is"), ("my", "name's"), ("name", "is"), ("this", "is"),
               ("it's",), ("i'm",), ("i", "am"), ("call", "me"))  # fmt: skip
_NOT_NAMES = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "calling",
        "here",
        "looking",
        "wondering",
        "not",
        "just",
        "about",
        "interested",
        "trying",
        "going",
        "hoping",
        "fine",
        "good",
        "ok",
        "okay",
        "yes",
        "no",
        "sure",
        "please",
        "i",
        "i'd",
        "i'm",
        "you",
        "your",
        "my",
        "me",
        "we",
        "it",
        "is",
        "to",
        "for",
        "from",
        "with",
        "call",
        "book",
        "need",
        "want",
        "like",
    ]
)


def parse_name(words: list[str], expecting_name: bool = False) -> str | None:
    """ "my name is john smith" → "John Smith"; a bare "john smith" when the agent asked."""
    for lead in _NAME_LEADS:
        n = len(lead)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == lead:
                name = _name_words(words[i + n :])
                if name:
                    return name
    if expecting_name:
        return _name_words([w for w in words if w not in _NOT_NAMES])
    return None


def _name_words(words: list[str]) -> str | None:
    picked = []
    for w in words[:2]:
        if w in _NOT_NAMES or not w.replace("'", "").isalpha():
            break
        picked.append(w)
    return " ".join(w.capitalize() for w in picked) or None


_ABOUT_TAIL = ("please", "thanks", "thank", "you")


def parse_about(words: list[str]) -> str | None:
    """What follows the last "about" ("... call me back about my brakes please" → "my
    brakes"); not "how about tuesday", which proposes a day."""
    for i in range(len(words) - 1, -1, -1):
        if words[i] == "about" and (i == 0 or words[i - 1] not in ("how", "what")):
            tail = words[i + 1 :]
            while tail and tail[-1] in _ABOUT_TAIL:
                tail = tail[:-1]
            return " ".join(tail) or None
    return None


def parse_year(words: list[str]) -> int | None:
    """ "twenty eighteen" → 2018, "two thousand nine" → 2009, "nineteen ninety nine" → 1999,
    "twenty twenty two" → 2022, "twenty oh nine" → 2009, and digits."""
    for i, w in enumerate(words):
        if w.isdigit() and len(w) == 4:
            return int(w)
        nxt = words[i + 1 : i + 4]
        if w == "two" and nxt[:1] == ["thousand"]:
            tail = nxt[1:]
            value = _small_number(tail)
            return 2000 + (value or 0)
        if w in ("nineteen", "twenty") and nxt:
            century = 1900 if w == "nineteen" else 2000
            if nxt[0] == "oh" and len(nxt) > 1 and nxt[1] in _ONES:
                return century + _ONES[nxt[1]]
            value = _small_number(nxt)
            if value is not None and value >= 10:
                return century + value
    return None


def _small_number(words: list[str]) -> int | None:
    if not words:
        return None
    if words[0] in _ONES:
        return _ONES[words[0]]
    if words[0] in _TENS or words[0] in ("sixty", "seventy", "eighty", "ninety"):
        tens = {"sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, **_TENS}[words[0]]
        if len(words) > 1 and words[1] in _ONES and _ONES[words[1]] < 10:
            return tens + _ONES[words[1]]
        return tens
    return None


def parse_vehicle(
    words: list[str], makes: dict[str, str], models: dict[str, tuple[str, str]]
) -> Vehicle:
    text = " ".join(words)
    v = Vehicle(year=parse_year(words))
    for phrase in sorted(models, key=len, reverse=True):
        if _has(text, phrase):
            v.make, v.model = models[phrase]
            break
    for phrase in sorted(makes, key=len, reverse=True):
        if _has(text, phrase):
            v.make = makes[phrase]
            break
    return v
