"""SMS segment counting: GSM-7 vs UCS-2, single vs concatenated limits, no split characters."""

import pytest

from pitstop.sms_encoding import SmsSegments, is_gsm7, non_gsm7_characters, sms_segments


def test_empty_text_costs_one_segment() -> None:
    assert sms_segments("") == SmsSegments("GSM-7", 0, 1)


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_limits_are_160_then_153(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == SmsSegments("GSM-7", length, segments)


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_limits_are_70_then_67(length: int, segments: int) -> None:
    assert sms_segments("あ" * length) == SmsSegments("UCS-2", length, segments)


def test_extension_characters_count_two_septets() -> None:
    assert sms_segments("€" * 80) == SmsSegments("GSM-7", 160, 1)
    assert sms_segments("€" * 81).segments == 2
    assert sms_segments("{}[]~^|\\") == SmsSegments("GSM-7", 16, 1)


def test_escaped_character_is_not_split_across_segments() -> None:
    # 152 plain septets then a two-septet euro: the euro cannot start in the first segment's
    # last septet, so it moves to the second segment; 152 + 2 + 152 = 306 septets is 3 segments.
    assert sms_segments("a" * 152 + "€" + "a" * 152) == SmsSegments("GSM-7", 306, 3)


def test_surrogate_pair_is_two_units_and_never_split() -> None:
    assert sms_segments("🚗") == SmsSegments("UCS-2", 2, 1)
    assert sms_segments("あ" * 66 + "🚗" + "あ" * 66).segments == 3


def test_one_curly_apostrophe_forces_ucs2() -> None:
    text = "Your appointment's confirmed"
    assert sms_segments(text).encoding == "GSM-7"
    curly = text.replace("'", "\u2019")
    assert sms_segments(curly).encoding == "UCS-2"
    assert non_gsm7_characters(curly) == ["\u2019"]


def test_accented_spanish_letters_outside_gsm7_force_ucs2() -> None:
    assert is_gsm7("¿Mañana a las 8?")  # ¿ and ñ are in the GSM alphabet
    assert is_gsm7("Cita confirmada: miércoles")  # é is in it too
    assert not is_gsm7("Cita confirmada: sábado")  # á, í, ó, ú are not
    assert non_gsm7_characters("miércoles, sábado") == ["á"]
