"""VIN validation and decoding: the check digit catches a misheard character."""

import random

import pytest

from pitstop.seed import CARS, make_vin
from pitstop.tools.vin import InvalidVin, check_digit, decode, model_year, with_check_digit


@pytest.mark.parametrize(
    "vin", ["1M8GDM9AXKP042788", "1HGCM82633A004352", "5YJ3E1EA2KF317000", "WBA3A5C53CF256985"]
)
def test_known_valid_vins_pass(vin):
    assert decode(vin).vin == vin


def test_check_digit_x_for_remainder_ten():
    assert check_digit("1M8GDM9A_KP042788".replace("_", "0")) == "X"


@pytest.mark.parametrize(
    ("vin", "why"),
    [
        ("1HGCM82643A004352", "check digit"),  # one character misheard
        ("1HGCM82633A00435", "17 characters"),  # too short
        ("1HGCM82633A0043521", "17 characters"),  # too long
        ("1HGCM8263IA004352", "never contain I"),  # I is not a VIN character
        ("1HGCM8263OA004352", "never contain O"),
    ],
)
def test_invalid_vins_say_what_is_wrong(vin, why):
    with pytest.raises(InvalidVin, match=why):
        decode(vin)


def test_decode_is_forgiving_about_case_spaces_and_dashes():
    assert decode("1hgcm 8263-3a004352").vin == "1HGCM82633A004352"


@pytest.mark.parametrize(
    ("vin", "year"),
    [
        ("1HGCM82633A004352", 2003),  # position 7 is a digit: 1980-2009 cycle
        ("5YJ3E1EA2KF317000", 2019),  # position 7 is a letter: 2010-2039 cycle
        ("1M8GDM9AXKP042788", 1989),
        ("WBA3A5C53CF256985", 2012),
    ],
)
def test_model_year(vin, year):
    assert model_year(vin) == year


@pytest.mark.parametrize(
    ("vin", "maker", "country"),
    [
        ("1HGCM82633A004352", "Honda", "United States"),
        ("5YJ3E1EA2KF317000", "Tesla", "United States"),
        ("WBA3A5C53CF256985", "BMW", "Germany"),
    ],
)
def test_manufacturer_and_country(vin, maker, country):
    decoded = decode(vin)
    assert (decoded.manufacturer, decoded.country) == (maker, country)


def test_unknown_manufacturer_is_none_not_an_error():
    vin = with_check_digit("9ZZAAAAA0KA123456")
    assert decode(vin).manufacturer is None


def test_generated_demo_vins_decode_to_their_year_and_make():
    rnd = random.Random(7)
    for make, _model, wmi in CARS:
        for year in (2003, 2012, 2024):
            decoded = decode(make_vin(wmi, year, rnd))
            assert decoded.year == year
            assert decoded.manufacturer == make
