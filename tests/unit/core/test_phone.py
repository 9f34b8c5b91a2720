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
