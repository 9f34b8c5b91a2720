"""Text → speakable words, shared by the grammar builder (what the recogniser may hear) and
anyone composing phrases (how a person says "9:30" or "2025-11-27").

Why: the recogniser's grammar and dictionary work on lowercase words, and callers say
"nine thirty", "november twenty seventh", never "09:30" or "27/11". Keeping the spelling in
one place makes what the TTS speaks and what the grammar expects agree.
"""

from __future__ import annotations

import datetime as _dt
import re

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD_IRREGULAR = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def spell_number(n: int) -> str:
    """Cardinal in words: 0 → "zero", 42 → "forty two", 1999 → "one thousand nine hundred
    ninety nine". Negative numbers get "minus"."""
    n = int(n)
    if n < 0:
        return "minus " + spell_number(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    for size, name in (
        (10**9, "billion"),
        (10**6, "million"),
        (1000, "thousand"),
        (100, "hundred"),
    ):
        if n >= size:
            head, rest = divmod(n, size)
            return spell_number(head) + " " + name + ("" if rest == 0 else " " + spell_number(rest))
    raise AssertionError("unreachable")


def spell_ordinal(n: int) -> str:
    """Ordinal in words: 1 → "first", 22 → "twenty second", 30 → "thirtieth"."""
    words = spell_number(n).split()
    last = words[-1]
    if last in _ORD_IRREGULAR:
        words[-1] = _ORD_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def spell_time(hour: int, minute: int = 0, *, am_pm: bool = False) -> str:
    """Clock time as said on the phone (12-hour): (9, 30) → "nine thirty", (14, 0) → "two
    o'clock", (10, 5) → "ten oh five"; with ``am_pm`` → "nine thirty a m"."""
    h12 = hour % 12 or 12
    if minute == 0:
        text = spell_number(h12) + " o'clock"
    elif minute < 10:
        text = f"{spell_number(h12)} oh {spell_number(minute)}"
    else:
        text = f"{spell_number(h12)} {spell_number(minute)}"
    if am_pm:
        text = text.replace(" o'clock", "") + (" a m" if hour < 12 else " p m")
    return text


def spell_date(day: _dt.date, *, weekday: bool = False) -> str:
    """Date as said on the phone: 2025-11-27 → "november twenty seventh" (with ``weekday``:
    "thursday november twenty seventh")."""
    text = f"{MONTHS[day.month - 1]} {spell_ordinal(day.day)}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def spell_weekday(day: _dt.date) -> str:
    """2025-11-27 → "thursday"."""
    return WEEKDAYS[day.weekday()]


_TIME_RE = re.compile(r"\b(\d{1,2}):(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)
_ORD_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_NUM_RE = re.compile(r"\d+")
_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)*")


def _time_sub(m: re.Match[str]) -> str:
    hour, minute, suffix = int(m.group(1)), int(m.group(2)), (m.group(3) or "").lower()
    if suffix.startswith("p") and hour < 12:
        hour += 12
    text = spell_time(hour, minute)
    if suffix:
        text = text.replace(" o'clock", "") + (" a m" if suffix.startswith("a") else " p m")
    return f" {text} "


def normalize_words(text: str) -> list[str]:
    """Lowercase speakable words of ``text``: times ("9:30am"), ordinals ("27th") and
    numbers are spelled out, punctuation dropped, apostrophes inside words kept ("i'd")."""
    text = _TIME_RE.sub(_time_sub, text)
    text = _ORD_RE.sub(lambda m: f" {spell_ordinal(int(m.group(1)))} ", text)
    text = _NUM_RE.sub(lambda m: f" {spell_number(int(m.group(0)))} ", text)
    text = text.lower().replace("\u2019", "'").replace("&", " and ")
    return _WORD_RE.findall(text)


def normalize_text(text: str) -> str:
    """``normalize_words`` joined by single spaces."""
    return " ".join(normalize_words(text))
