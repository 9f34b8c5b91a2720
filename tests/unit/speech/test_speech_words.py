"""Spelling numbers, times and dates as a caller says them."""

from __future__ import annotations

import datetime as dt

import pytest

from pitstop_local.speech import words


@pytest.mark.parametrize(
    ("n", "spoken"),
    [(0, "zero"), (7, "seven"), (13, "thirteen"), (20, "twenty"), (42, "forty two"),
     (100, "one hundred"), (150, "one hundred fifty"), (2025, "two thousand twenty five")],
)  # fmt: skip
def test_spell_number(n, spoken):
    assert words.spell_number(n) == spoken


@pytest.mark.parametrize(
    ("n", "spoken"),
    [(1, "first"), (2, "second"), (3, "third"), (5, "fifth"), (12, "twelfth"),
     (20, "twentieth"), (22, "twenty second"), (27, "twenty seventh"), (30, "thirtieth")],
)  # fmt: skip
def test_spell_ordinal(n, spoken):
    assert words.spell_ordinal(n) == spoken


def test_spell_time_and_date():
    assert words.spell_time(9, 30) == "nine thirty"
    assert words.spell_time(14, 0) == "two o'clock"
    assert words.spell_time(10, 5) == "ten oh five"
    assert words.spell_time(0, 15) == "twelve fifteen"
    assert words.spell_time(9, 30, am_pm=True) == "nine thirty a m"
    assert words.spell_time(14, 0, am_pm=True) == "two p m"
    day = dt.date(2025, 11, 27)
    assert words.spell_date(day) == "november twenty seventh"
    assert words.spell_date(day, weekday=True) == "thursday november twenty seventh"
    assert words.spell_weekday(day) == "thursday"


def test_normalize_words():
    assert words.normalize_words("I'd like 9:30am on Nov 27th, please!") == [
        "i'd", "like", "nine", "thirty", "a", "m", "on", "nov", "twenty", "seventh", "please",
    ]  # fmt: skip
    assert words.normalize_text("Book 2 tires & an OIL change") == (
        "book two tires and an oil change"
    )
    assert words.normalize_text("  ") == ""
    assert words.normalize_text("It\u2019s 3:05 PM") == "it's three oh five p m"
