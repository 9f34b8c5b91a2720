import pytest

from pitstop.phone import InvalidPhoneNumber, mask_phone, normalize_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 (555) 123-0001", "+15551230001"),
        ("5551230001", "+15551230001"),
        ("0044 20 7946 0958", "+442079460958"),
        ("+15551230001", "+15551230001"),
    ],
)
def test_normalize(raw, e164):
    assert normalize_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "abc", "123", "+0123456789"])
def test_normalize_rejects(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_e164(raw)


def test_mask_keeps_only_prefix_and_last_four():
    assert mask_phone("+15551230001") == "+1******0001"
    assert "555123" not in mask_phone("+15551230001")
    assert mask_phone(None) == ""


@pytest.mark.parametrize(
    "raw",
    [
        "+\u0661\u0665\u0665\u0665\u0661\u0662\u0663\u0660\u0660\u0660\u0661",  # Arabic-Indic
        "+1 \uff15\uff15\uff15 123 0001",  # fullwidth digits
        "+1555\uff11230001",  # one fullwidth digit among ASCII ones
        "\u0665\u0665\u0665\u0661\u0662\u0663\u0660\u0660\u0660\u0661",
    ],
)
def test_non_ascii_digits_are_refused_not_folded(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_e164(raw)


@pytest.mark.parametrize("raw", ["+1555123", "+44 20", "+1 555 123 0001 2345"])
def test_impossible_lengths_for_the_country_are_refused(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_e164(raw)
