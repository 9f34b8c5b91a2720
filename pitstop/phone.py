"""Phone numbers: one canonical form (E.164) for keys, and a masked form for logs."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can key a customer by."""


def normalize_e164(raw: str, default_country_code: str = "1") -> str:
    """Return `raw` as E.164 (`+15551234567`).

    Callers and forms write numbers many ways; the CRM keys customers by exactly one of them.
    A ten-digit number is taken as national in the default country (NANP).
    """
    digits = re.sub(r"[^\d+]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+"):
        digits = ("+" + default_country_code + digits) if len(digits) == 10 else "+" + digits
    if not _E164.match(digits):
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    return digits


def mask_phone(number: str | None) -> str:
    """Hide all but the country prefix and the last four digits: logs never hold a full number."""
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    head = 2 if number.startswith("+") else 0
    return number[:head] + "*" * (len(number) - head - 4) + number[-4:]
