"""`pitstop backfill-indexes` against a moto table: customers and vehicles stored before the
name / plate / VIN indexes existed become findable, once, and a second run writes nothing."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

from pitstop import backfill
from pitstop.dal import keys
from pitstop.dal.table import to_item
from pitstop.models import Customer, Vehicle

VIN = "4T1B11HK5KU123456"
LEGACY = Customer(customer_id="cus_old", name="Olga Byrne", phone="+15551230077")
LEGACY_CAR = Vehicle(
    vehicle_id="veh_old",
    customer_id="cus_old",
    make="Ford",
    model="Focus",
    year=2012,
    plate="OLD-123",
    vin=VIN,
)


def _store_as_before(crm) -> None:
    """The profile and vehicle items as written before the indexes existed: no index items."""
    pk = keys.customer(LEGACY.customer_id)
    crm.table.put_item(Item=to_item(LEGACY, pk=pk, sk=keys.PROFILE))
    crm.table.put_item(Item=to_item(LEGACY_CAR, pk=pk, sk=keys.vehicle_sk(LEGACY_CAR.vehicle_id)))


def _cli(monkeypatch, settings, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("PITSTOP_TABLE", settings.table_name)
    monkeypatch.setenv("PITSTOP_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint)
    monkeypatch.setenv("PITSTOP_SHOP_ID", settings.shop_id)
    parser = argparse.ArgumentParser(prog="pitstop")
    backfill.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["backfill-indexes", *argv])
    return args.func(args), capsys.readouterr().out


def test_backfill_makes_old_customers_findable_once(crm, settings, monkeypatch, capsys):
    _store_as_before(crm)
    crm.customers.create(  # a customer of today: its index items are already there
        Customer(customer_id="cus_new", name="Nina Park", phone="+15551230078"),
        [Vehicle(vehicle_id="veh_new", customer_id="cus_new", make="Kia", model="Rio", year=2020)],
    )
    assert crm.customers.ids_for_name("Olga Byrne") == []
    assert crm.customers.ids_for_plate("OLD-123") == []

    code, out = _cli(monkeypatch, settings, capsys, "--json")
    assert code == 0
    assert json.loads(out) == {
        "customers": 2,
        "vehicles": 2,
        "written": {"name": 1, "plate": 1, "vin": 1},
        "present": {"name": 1, "plate": 0, "vin": 0},
    }
    assert crm.customers.ids_for_name("olga  byrne") == ["cus_old"]
    assert crm.customers.ids_for_plate("old 123") == ["cus_old"]
    assert crm.customers.ids_for_vin(VIN[-6:]) == ["cus_old"]

    code, out = _cli(monkeypatch, settings, capsys)
    assert code == 0
    assert "name  index: 0 written, 2 already present" in out
    assert "plate index: 0 written, 1 already present" in out


def test_the_command_joins_pitstop_through_the_entry_point_group():
    pyproject = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))
    commands = pyproject["project"]["entry-points"]["pitstop.commands"]
    assert commands["backfill-indexes"] == "pitstop.backfill"
