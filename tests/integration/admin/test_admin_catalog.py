"""The shop's services and bays from the console: owners only, validated as a whole, versioned,
and what the booking tools then see."""

from __future__ import annotations

from datetime import datetime, time

from pitstop import config
from pitstop.models import Appointment
from tests.integration.admin.conftest import ADVISOR, DAY, TZ

TYRES = {
    "code": "tyre_fitting",
    "name": "Tyre fitting",
    "duration_minutes": 60,
    "price_min": 40,
    "price_max": 90,
    "bays": ["bay1"],
    "aliases": ["new tyres"],
}


def _save(api, change: dict, version: int = 0, token=None):
    body = {**api("GET", "/admin/catalog")[1], **change, "version": version}
    return api("PUT", "/admin/catalog", body, **({"token": token} if token else {}))


def test_the_catalogue_reads_as_seeded_and_advisors_may_not_change_it(api, shop):
    status, body = api("GET", "/admin/catalog", token=ADVISOR)
    assert status == 200 and body["version"] == 0
    assert {s["code"] for s in body["services"]} >= {"oil_change", "wheel_alignment"}
    assert {b["bay"] for b in body["bays"]} >= {"bay1", "bay5"}
    status, body = _save(api, {"services": []}, token=ADVISOR)
    assert status == 403 and body["error"] == "forbidden"


def test_bad_entries_are_refused_naming_the_field(api, shop):
    current = api("GET", "/admin/catalog")[1]
    services, bays = current["services"], current["bays"]
    new = len(services)  # where the added service sits in the list
    for bad, loc, words in [
        ({"services": [*services, {**TYRES, "price_min": 100}]}, "price_max", "price_min"),
        ({"services": [*services, {**TYRES, "duration_minutes": 45}]}, "duration_minutes", "30"),
        (
            {"services": [*services, {**TYRES, "duration_minutes": 0}]},
            "duration_minutes",
            "positive",
        ),
        ({"services": [*services, {**TYRES, "bays": ["bay9"]}]}, "bays", "bay9"),
        ({"services": [*services, {**TYRES, "bays": []}]}, "bays", "at least 1"),
        ({"services": [*services, {**TYRES, "code": "oil_change"}]}, "code", "duplicate"),
    ]:
        status, body = _save(api, bad)
        assert status == 422, bad
        assert body["error"] == "invalid_settings" and words in body["message"], body
        assert ["services", str(new), loc] in [e["loc"] for e in body["errors"]], body
    status, body = _save(api, {"bays": [*bays, {"bay": "bay1", "name": "again"}]})
    assert status == 422 and ["bays", str(len(bays)), "bay"] in [e["loc"] for e in body["errors"]]
    assert api("GET", "/admin/catalog/versions")[1]["versions"] == []


def test_a_new_service_is_bookable_through_the_tools_on_the_next_call(api, shop):
    services = api("GET", "/admin/catalog")[1]["services"]
    status, body = _save(api, {"services": [*services, TYRES]})
    assert status == 200 and body["version"] == 1, body
    assert TYRES["code"] in {s["code"] for s in body["services"]}

    context = {
        "call_sid": "CAcatalog01",
        "customer_number": "+15551230001",
        "customer_id": "cus_alex",
        "direction": "inbound",
        "appointment_id": None,
    }
    status, found = api(
        "POST",
        "/tools/check_availability",
        {
            "arguments": {"service_type": "new tyres", "preferred_date": DAY.isoformat()},
            "context": context,
        },
        token=config.DEV_TOOLS_TOKEN,
    )
    assert status == 200, found
    slots = found["result"]["slots"]
    assert slots and {s["bay"] for s in slots} == {"bay1"}, found


def test_catalogue_changes_are_versioned_stale_saves_refused_and_roll_back(api, shop):
    original = api("GET", "/admin/catalog")[1]
    assert _save(api, {"services": [*original["services"], TYRES]})[0] == 200
    assert _save(api, {"services": original["services"]}, version=0)[0] == 409

    versions = api("GET", "/admin/catalog/versions", token=ADVISOR)[1]["versions"]
    assert [v["version"] for v in versions] == [1, 0] and versions[0]["by"] == "olive@shop.test"

    status, body = api("POST", "/admin/catalog/versions/0/rollback", {"version": 1})
    assert status == 200 and body["version"] == 2
    assert TYRES["code"] not in shop.shops.catalog().services
    assert (
        api("POST", "/admin/catalog/versions/0/rollback", {"version": 2}, token=ADVISOR)[0] == 403
    )


def test_a_bay_with_appointments_ahead_cannot_be_removed(api, shop):
    start = datetime.combine(DAY, time(10), tzinfo=TZ)
    shop.appointments.book(
        Appointment(
            appointment_id="apt_bay5hold",
            customer_id="cus_alex",
            vehicle_id="veh_alex",
            shop_id=shop.settings.shop_id,
            service_type="wheel_alignment",
            bay="bay5",
            start=start,
            end=start.replace(hour=11),
        )
    )
    current = api("GET", "/admin/catalog")[1]
    services = [
        {**s, "bays": [b for b in s["bays"] if b != "bay5"]}
        for s in current["services"]
        if s["code"] != "wheel_alignment"
    ]
    bays = [b for b in current["bays"] if b["bay"] != "bay5"]
    status, body = _save(api, {"services": services, "bays": bays})
    assert status == 409 and body["error"] == "bay_in_use", body
    assert body["appointments"] == 1 and body["bays"] == ["bay5"]
    assert "bay5" in shop.shops.catalog().bays
