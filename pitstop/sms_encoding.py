"""How many SMS segments a text costs, counted in the encoding it needs.

Carriers bill per segment, and one character outside the GSM 03.38 alphabet (a Japanese
kana, but also a curly apostrophe) switches the whole message to UCS-2, which fits less
than half as many characters in a segment. The cost report and the SMS templates both
count with this module, so what we price is what the carrier charges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet (one septet each); 0x1B, the escape to the extension table,
# is not a character of its own and is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs an escape septet plus its own, two in all.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (characters of a single-segment message, characters per segment of a concatenated one):
# a concatenated message gives up part of each segment to the user-data header.
_LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SmsSegments:
    """The encoding a text needs, its length in that encoding's units, and its segments."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of `text` is in the GSM-7 alphabet or its extension."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def non_gsm7_characters(text: str) -> list[str]:
    """The characters that force `text` into UCS-2, in order, each once (for test messages)."""
    return list(
        dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION)
    )


def _gsm7_units(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_units(ch: str) -> int:
    """UTF-16 code units: characters beyond the BMP (emoji) take a surrogate pair."""
    return 2 if ord(ch) > 0xFFFF else 1


def sms_segments(text: str) -> SmsSegments:
    """Segments `text` is sent in; an empty text still costs one.

    Splitting is greedy by whole characters, as handsets and Twilio do: an escaped GSM-7
    character or a surrogate pair is never cut across two segments, so a segment can hold
    one unit fewer than the nominal 153/67.
    """
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    unit_of = _gsm7_units if encoding == "GSM-7" else _ucs2_units
    sizes = [unit_of(ch) for ch in text]
    single, per_segment = _LIMITS[encoding]
    units = sum(sizes)
    if units <= single:
        return SmsSegments(encoding, units, 1)
    segments, used = 1, 0
    for size in sizes:
        if used + size > per_segment:
            segments, used = segments + 1, 0
        used += size
    return SmsSegments(encoding, units, segments)
