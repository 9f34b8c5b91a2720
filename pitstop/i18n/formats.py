"""Dates, times, prices, names and phone numbers the way the shop's language writes them.

The one formatter for every text Pitstop produces (the agent's instructions, the tools' spoken
times, TwiML, SMS): Babel for dates, weekday names and prices, `phonenumbers` for numbers, with
the patterns each pack sets (`[formats]`). English output is what Pitstop always said
("Tuesday, December 1 at 9:00 AM"); Japanese reads the Japanese way (see the golden files).
"""

from __future__ import annotations

from datetime import date, datetime, time

import phonenumbers
from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.numbers import format_currency

from pitstop.i18n import DEFAULT_LANGUAGE, pack

_WEEKDAY_INDEX = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _locale(lang: str) -> str:
    return pack(lang).meta.locale


def spoken_datetime(at: datetime, lang: str = DEFAULT_LANGUAGE) -> str:
    """An appointment time as a receptionist says it ("Tuesday, December 1 at 9:00 AM")."""
    formats = pack(lang).formats
    pattern = formats.date_time_whole_hour if at.minute == 0 else formats.date_time
    return format_datetime(at, pattern, locale=_locale(lang))


def spoken_day(day: date, lang: str) -> str:
    """A day without its time ("Tuesday, December 1")."""
    return format_date(day, pack(lang).formats.day, locale=_locale(lang))


def full_date(day: date, lang: str) -> str:
    """Today in the instructions, with the year ("Tuesday, December 1, 2026")."""
    return format_date(day, pack(lang).formats.today, locale=_locale(lang))


def spoken_time(at: time, lang: str) -> str:
    """A time of day as said aloud ("8 AM", "5:30 PM"; 「午前8時」)."""
    formats = pack(lang).formats
    pattern = formats.time_whole_hour if at.minute == 0 else formats.time
    return format_time(at, pattern, locale=_locale(lang))


def clock(at: time, lang: str) -> str:
    """A time as a timetable shows it ("08:00")."""
    return format_time(at, pack(lang).formats.clock, locale=_locale(lang))


def weekday(code: str, lang: str) -> str:
    """A weekday code of the opening hours ("mon") as the language abbreviates it ("Mon")."""
    names = get_day_names("abbreviated", locale=_locale(lang))
    return str(names[_WEEKDAY_INDEX[code]])


def price(amount: float, currency: str, lang: str) -> str:
    """A whole-unit price ("$60", 「8,000円」)."""
    return format_currency(
        amount, currency, pack(lang).formats.price, locale=_locale(lang), currency_digits=False
    )


def price_range(low: float, high: float, currency: str, lang: str) -> str:
    """A catalogue range ("$60-$90", 「8,000円〜12,000円」)."""
    return pack(lang).formats.price_range.format(
        low=price(low, currency, lang), high=price(high, currency, lang)
    )


def listed(items: list[str], lang: str) -> str:
    """Items joined as prose lists them (", " / 「、」)."""
    return pack(lang).meta.list_separator.join(items)


def itemised(items: list[str], lang: str) -> str:
    """Longer entries, each with its own commas, joined ("; ")."""
    return pack(lang).meta.item_separator.join(items)


def first_name(name: str) -> str:
    """The given name of a Western-order name ("Dana Whitfield" → "Dana")."""
    return name.split()[0] if name.split() else name


def family_name(name: str) -> str:
    """The family name of a Japanese-order name ("山田 太郎" → "山田"), addressed with 様.

    Names are stored as the customer gave them; a Japanese name is family name first, so its
    first word is the one 様 follows. A name in one word is used whole."""
    return first_name(name)


def written_phone(number: str, lang: str) -> str:
    """A phone number as a text writes it: E.164, or the national format (「03-1234-5678」)."""
    if pack(lang).meta.phone_style == "e164":
        return number
    parsed = _parse(number)
    if parsed is None:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def spoken_phone(number: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A phone number grouped for speech: `+15551230000` → `5 5 5, 1 2 3, 0 0 0 0`.

    Spaced digits make text-to-speech read digits, not "five hundred fifty-five"; the pack's
    separator pauses between the groups of the national format (555-123-0000, 03-1234-5678).
    """
    parsed = _parse(number)
    if parsed is not None:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        groups = ["".join(c for c in part if c.isdigit()) for part in _split(national)]
    else:
        digits = "".join(c for c in number if c.isdigit())
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    separator = pack(lang).meta.phone_group_separator
    return separator.join(" ".join(group) for group in groups if group)


def _split(national: str) -> list[str]:
    for mark in "()-":
        national = national.replace(mark, " ")
    return national.split()


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None
