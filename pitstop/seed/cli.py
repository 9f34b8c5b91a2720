"""`pitstop seed`: the command that loads the demo shop into a DynamoDB table."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pitstop.config import LOCAL_DYNAMODB_ENDPOINT, Settings
from pitstop.seed import DEMO_SHOPS, seed


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="load the demo shop, customers and appointments into DynamoDB",
        description="Load the demo shop (Pitstop Demo Garage: 5 bays, 8 services, ~30 customers, "
        "appointments over the next two weeks) into a DynamoDB table, creating the table if "
        "needed. Deterministic and idempotent. "
        "Demo caller: Alex Morgan, +15551230001, 2019 Toyota Camry. With --shop tokyo, the "
        "Japanese demo shop instead (Asia/Tokyo, yen, +81 customers, everything in Japanese).",
    )
    parser.add_argument(
        "--shop",
        choices=sorted(DEMO_SHOPS),
        default="demo",
        help="which demo shop: 'demo' (English, America/New_York) or 'tokyo' (Japanese)",
    )
    parser.add_argument(
        "--endpoint",
        default=None,
        help="DynamoDB endpoint URL, or 'aws' for the real service (default: "
        f"$PITSTOP_DYNAMODB_ENDPOINT, else the local moto server {LOCAL_DYNAMODB_ENDPOINT})",
    )
    parser.add_argument(
        "--table", default=None, help="table name (default: $PITSTOP_TABLE or 'pitstop')"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the day appointments are relative to, YYYY-MM-DD (default: today in the shop's zone)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    endpoint = args.endpoint or settings.dynamodb_endpoint or LOCAL_DYNAMODB_ENDPOINT
    updates = {"dynamodb_endpoint": None if endpoint == "aws" else endpoint}
    if args.table:
        updates["table_name"] = args.table
    settings = settings.model_copy(update=updates)
    choice = DEMO_SHOPS[args.shop]
    today = args.today or datetime.now(ZoneInfo(choice.timezone)).date()
    report = seed(settings, today, args.shop)
    caller = choice.caller
    print(
        f"Seeded {choice.name} into table {settings.table_name!r} at {settings.dynamodb_endpoint}: "
        f"{report.customers} customers, {report.vehicles} vehicles, "
        f"{report.records} service records, {report.appointments} appointments "
        f"({report.booked_now} new)."
    )
    print(f"Demo caller: {caller['name']} {caller['phone']} ({caller['vehicle']}).")
    return 0
