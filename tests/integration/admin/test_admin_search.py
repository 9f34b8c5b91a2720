"""`GET /admin/customers?plate=` and `?vin=` over real HTTP: the console finds a customer by the
car in the bay, written with the vehicle's index items; exactly one search key is accepted."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from pitstop.models import Vehicle

from .conftest import ADVISOR

VIN = "1HGCM82633A004352"


@pytest.fixture
def cars(shop):
    """Bea's Civic with a plate and VIN (put after she was created, as the console edits do)."""
    shop.customers.put_vehicle(
        Vehicle(
            vehicle_id="veh_bea",
            customer_id="cus_bea",
            make="Honda",
            model="Civic",
            year=2015,
            plate="KX-42 TP",
            vin=VIN,
        )
    )
    return shop


def _names(api, query: str) -> list[str]:
    status, body = api("GET", f"/admin/customers?{query}", token=ADVISOR)
    assert status == 200, body
    return [c["customer"]["name"] for c in body["customers"]]


@pytest.mark.parametrize("plate", ["KX-42 TP", "kx42tp", " kx 42-tp "])
def test_search_by_plate_forgives_case_and_spacing(api, cars, plate):
    assert _names(api, f"plate={quote(plate)}") == ["Bea Chen"]


@pytest.mark.parametrize("vin", [VIN, VIN.lower(), VIN[-6:], VIN[-9:]])
def test_search_by_a_full_vin_or_its_ending(api, cars, vin):
    status, body = api("GET", f"/admin/customers?vin={vin}", token=ADVISOR)
    assert status == 200 and [c["customer"]["customer_id"] for c in body["customers"]] == [
        "cus_bea"
    ]
    assert body["customers"][0]["vehicles"][0]["vin"] == VIN  # the file, as by phone or name


def test_unknown_plate_or_vin_finds_nobody(api, cars):
    assert _names(api, "plate=ZZ-0000") == []
    assert _names(api, "vin=999999") == []
    assert _names(api, f"vin=X{VIN[-6:]}") == []  # a longer ending must match all of it


def test_a_corrected_plate_no_longer_finds_the_old_one(api, cars):
    corrected = cars.customers.file("cus_bea").vehicles[0].model_copy(update={"plate": "NEW-1"})
    cars.customers.put_vehicle(corrected)
    assert _names(api, "plate=KX42TP") == []
    assert _names(api, "plate=new1") == ["Bea Chen"]


@pytest.mark.parametrize(
    "query", ["", "plate=KX42TP&vin=004352", "name=bea%20chen&plate=KX42TP", "vin=12345"]
)
def test_exactly_one_search_key(api, cars, query):
    status, body = api("GET", f"/admin/customers?{query}", token=ADVISOR)
    assert status == 422, body
