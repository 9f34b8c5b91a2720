"""VIN decoding, offline: ISO 3779 check digit, model year and manufacturer from the WMI.

The check digit (position 9) is mandatory for vehicles sold in North America and catches most
mis-heard characters, which is exactly what a VIN read aloud over the phone suffers from.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from pitstop.tools.context import ToolEnv
from pitstop.tools.schema import Arguments, Result

_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Model-year codes repeat every 30 years; I, O, Q, U, Z and 0 are never used.
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"

# WMI (first three characters) → manufacturer: the makes a US service centre sees most.
MANUFACTURERS = {
    "1FA": "Ford",
    "1FB": "Ford",
    "1FC": "Ford",
    "1FD": "Ford",
    "1FM": "Ford",
    "1FT": "Ford",
    "2FA": "Ford",
    "2FM": "Ford",
    "3FA": "Ford",
    "1LN": "Lincoln",
    "5LM": "Lincoln",
    "1G1": "Chevrolet",
    "1GC": "Chevrolet",
    "1GN": "Chevrolet",
    "2G1": "Chevrolet",
    "3GN": "Chevrolet",
    "1GT": "GMC",
    "1GK": "GMC",
    "1G6": "Cadillac",
    "1GY": "Cadillac",
    "2G4": "Buick",
    "1G4": "Buick",
    "1C4": "Jeep",
    "1J4": "Jeep",
    "1C3": "Chrysler",
    "2C3": "Chrysler",
    "1C6": "Ram",
    "3C6": "Ram",
    "2C4": "Dodge",
    "1B3": "Dodge",
    "2B3": "Dodge",
    "1HG": "Honda",
    "2HG": "Honda",
    "5FN": "Honda",
    "5J6": "Honda",
    "JHM": "Honda",
    "19X": "Honda",
    "19U": "Acura",
    "JH4": "Acura",
    "4T1": "Toyota",
    "4T3": "Toyota",
    "5TD": "Toyota",
    "5TF": "Toyota",
    "2T1": "Toyota",
    "2T3": "Toyota",
    "JTD": "Toyota",
    "JTE": "Toyota",
    "JTM": "Toyota",
    "JTN": "Toyota",
    "JTH": "Lexus",
    "2T2": "Lexus",
    "1N4": "Nissan",
    "1N6": "Nissan",
    "3N1": "Nissan",
    "5N1": "Nissan",
    "JN1": "Nissan",
    "JN8": "Nissan",
    "4S3": "Subaru",
    "4S4": "Subaru",
    "JF1": "Subaru",
    "JF2": "Subaru",
    "KMH": "Hyundai",
    "5NP": "Hyundai",
    "5NM": "Hyundai",
    "KNA": "Kia",
    "KND": "Kia",
    "5XY": "Kia",
    "JM1": "Mazda",
    "JM3": "Mazda",
    "3MZ": "Mazda",
    "JA3": "Mitsubishi",
    "JA4": "Mitsubishi",
    "WBA": "BMW",
    "WBS": "BMW",
    "5UX": "BMW",
    "WDD": "Mercedes-Benz",
    "WDB": "Mercedes-Benz",
    "W1K": "Mercedes-Benz",
    "4JG": "Mercedes-Benz",
    "WAU": "Audi",
    "WA1": "Audi",
    "WVW": "Volkswagen",
    "WVG": "Volkswagen",
    "3VW": "Volkswagen",
    "1VW": "Volkswagen",
    "WP0": "Porsche",
    "WP1": "Porsche",
    "YV1": "Volvo",
    "YV4": "Volvo",
    "SAL": "Land Rover",
    "SAJ": "Jaguar",
    "5YJ": "Tesla",
    "7SA": "Tesla",
    "ZFA": "Fiat",
    "ZAR": "Alfa Romeo",
}

# First character (or first two, which win) → country of manufacture.
_COUNTRIES = {
    "1": "United States",
    "4": "United States",
    "5": "United States",
    "2": "Canada",
    "3": "Mexico",
    "7": "United States",
    "J": "Japan",
    "K": "South Korea",
    "KL": "South Korea",
    "L": "China",
    "W": "Germany",
    "S": "United Kingdom",
    "Z": "Italy",
    "Y": "Sweden",
    "YF": "Finland",
    "V": "France",
    "VS": "Spain",
    "VW": "Spain",
    "9": "Brazil",
    "6": "Australia",
    "M": "India",
    "T": "Switzerland",
    "TM": "Czech Republic",
    "U": "Romania",
    "X": "Russia",
    "19": "United States",
}


class InvalidVin(ValueError):
    """Not a VIN: wrong length, forbidden letters, or a check digit that does not match."""


def check_digit(vin: str) -> str:
    """The ISO 3779 / 49 CFR 565 check digit for a 17-character VIN (position 9 ignored)."""
    total = sum(_VALUES[c] * w for c, w in zip(vin.upper(), _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def with_check_digit(vin: str) -> str:
    """`vin` with position 9 set to its correct check digit (used to generate demo VINs)."""
    vin = vin.upper()
    return vin[:8] + check_digit(vin) + vin[9:]


@dataclass(frozen=True)
class DecodedVin:
    vin: str
    year: int | None
    manufacturer: str | None
    country: str | None


def decode(vin: str) -> DecodedVin:
    """Validate and decode a VIN; raises `InvalidVin` saying what is wrong."""
    vin = "".join(vin.split()).replace("-", "").upper()
    if len(vin) != 17:
        raise InvalidVin(f"a VIN has 17 characters, this one has {len(vin)}")
    bad = sorted({c for c in vin if c not in _VALUES})
    if bad:
        raise InvalidVin(f"VINs never contain {', '.join(bad)} (I, O and Q are not used)")
    expected = check_digit(vin)
    if vin[8] != expected:
        raise InvalidVin(
            f"the check digit does not match (position 9 is {vin[8]}, expected {expected}); "
            "a character was probably misread"
        )
    return DecodedVin(
        vin=vin, year=model_year(vin), manufacturer=manufacturer(vin), country=country(vin)
    )


def model_year(vin: str) -> int | None:
    """Model year from position 10; position 7 (a letter from 2010 on) picks the 30-year cycle."""
    code = vin[9]
    if code not in YEAR_CODES:
        return None
    base = 2010 if vin[6].isalpha() else 1980
    return base + YEAR_CODES.index(code)


def manufacturer(vin: str) -> str | None:
    return MANUFACTURERS.get(vin[:3])


def country(vin: str) -> str | None:
    return _COUNTRIES.get(vin[:2]) or _COUNTRIES.get(vin[:1])


# --- the tool ------------------------------------------------------------------------------
class DecodeVinArgs(Arguments):
    vin: str = Field(
        min_length=1, max_length=40, description="The 17-character VIN as the caller read it."
    )


class DecodeVinResult(Result):
    valid: bool
    vin: str
    year: int | None = None
    manufacturer: str | None = None
    country: str | None = None
    error: str | None = None


DECODE_VIN = (
    "Check a VIN the caller reads out and decode it. Use it before registering a vehicle by VIN, "
    "or to confirm which car the caller means. Returns valid (check digit correct), model year, "
    "manufacturer and country; when invalid, 'error' says what is wrong so you can ask the caller "
    "to repeat the characters."
)


def decode_vin(args: DecodeVinArgs, env: ToolEnv) -> DecodeVinResult:
    try:
        decoded = decode(args.vin)
    except InvalidVin as error:
        return DecodeVinResult(valid=False, vin=args.vin.upper(), error=str(error))
    return DecodeVinResult(
        valid=True,
        vin=decoded.vin,
        year=decoded.year,
        manufacturer=decoded.manufacturer,
        country=decoded.country,
    )
