"""Phone numbers: one canonical form (E.164) for keys, and a masked form for logs."""

from __future__ import annotations

import phonenumbers

_ASCII_DIGITS = frozenset("0123456789")


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can key a customer by."""


def normalize_e164(raw: str, default_country_code: str = "1") -> str:
    """Return `raw` as E.164 (`+15551234567`).

    Callers and forms write numbers many ways; the CRM keys customers by exactly one of them.
    `phonenumbers` (Google's libphonenumber) parses them: a national number is taken in the
    default country (NANP), `00` starts an international one. A number only has to be
    *possible* (right length for its country), not allocated: test and fictional ranges (555)
    are real to a shop. Digits from other scripts (Arabic-Indic, fullwidth) are refused rather
    than folded to ASCII: a key must be the text the caller's phone actually sends.
    """
    text = (raw or "").strip()
    if any(c.isnumeric() and c not in _ASCII_DIGITS for c in text):
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    if text.startswith("00"):
        text = "+" + text[2:]
    region = phonenumbers.region_code_for_country_code(int(default_country_code))
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}") from error
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(number: str | None) -> str:
    """Hide all but the country prefix and the last four digits: logs never hold a full number."""
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    head = 2 if number.startswith("+") else 0
    return number[:head] + "*" * (len(number) - head - 4) + number[-4:]
