"""`pitstop seed`: deterministic, idempotent, valid VINs, and the documented demo caller."""

from __future__ import annotations

from datetime import date

from pitstop.cli import main
from pitstop.dal.table import from_item
from pitstop.models import Appointment, Vehicle
from pitstop.tools.vin import decode

from .conftest import table_items

TODAY = date(2030, 12, 2)


def test_seed_twice_gives_the_same_table(settings, crm, capsys):
    argv = [
        "seed",
        "--endpoint",
        settings.dynamodb_endpoint,
        "--table",
        settings.table_name,
        "--today",
        TODAY.isoformat(),
    ]
    assert main(argv) == 0
    first = sorted(str(sorted(i.items())) for i in table_items(crm))
    assert main(argv) == 0
    second = sorted(str(sorted(i.items())) for i in table_items(crm))
    assert len(first) == len(second) and first == second
    assert "Alex Morgan" in capsys.readouterr().out

    catalog = crm.shops.catalog()
    assert (
        catalog.shop.name == "Pitstop Demo Garage" and catalog.shop.timezone == "America/New_York"
    )
    assert len(catalog.bays) == 5 and len(catalog.services) == 8
    assert all(s.duration_minutes % 30 == 0 for s in catalog.services.values())
    assert catalog.shop.hours_on(date(2030, 12, 8)) is None  # Sunday
    assert catalog.shop.hours_on(date(2030, 12, 25)) is None  # a holiday
    assert str(catalog.shop.hours_on(date(2030, 12, 7)).closes) == "13:00:00"  # Saturday

    items = table_items(crm)
    vehicles = [from_item(Vehicle, i) for i in items if i.get("entity") == "Vehicle"]
    assert len({i["customer_id"] for i in items if i.get("entity") == "Customer"}) >= 30
    for vehicle in vehicles:
        decoded = decode(vehicle.vin)
        assert decoded.year == vehicle.year and decoded.manufacturer == vehicle.make
    appointments = [from_item(Appointment, i) for i in items if i.get("entity") == "Appointment"]
    assert len(appointments) >= 15
    assert all(0 < (a.day - TODAY).days <= 14 for a in appointments)


def test_demo_caller(settings, crm):
    main(
        [
            "seed",
            "--endpoint",
            settings.dynamodb_endpoint,
            "--table",
            settings.table_name,
            "--today",
            TODAY.isoformat(),
        ]
    )
    file = crm.customers.file(crm.customers.id_for_phone("+15551230001"))
    assert file.customer.name == "Alex Morgan"
    assert [v.label for v in file.vehicles] == ["2019 Toyota Camry"]
    (nxt,) = [a for a in file.appointments if a.active]
    assert nxt.service_type == "tire_rotation" and (nxt.day - TODAY).days >= 3
