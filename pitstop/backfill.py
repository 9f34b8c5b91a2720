"""`pitstop backfill-indexes`: write the lookup index items older customers never got.

Customers stored before the name index existed cannot be found by name (verifying a caller
from another number), nor vehicles stored before the plate / VIN indexes by the console's
search. This writes every missing index item once, leaves present ones alone (a second run
writes nothing) and reports the counts. Works against the local stack or AWS alike, through the
configured table; it Scans the customer partitions, so it is an operator's run, never a call's.
"""

from __future__ import annotations

import argparse
import json

from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.dal.customers import IndexBackfill


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backfill-indexes",
        help="write missing name / plate / VIN index items for existing customers",
        description="Write the index items (by name, plate and VIN) that customers and vehicles "
        "stored before those indexes existed lack. Idempotent: present items are left alone.",
    )
    parser.add_argument("--json", action="store_true", help="the counts as one JSON document")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = Crm(Settings()).customers.backfill_indexes()
    print(json.dumps(_counts(report)) if args.json else describe(report))  # noqa: T201
    return 0


def _counts(report: IndexBackfill) -> dict[str, object]:
    return {
        "customers": report.customers,
        "vehicles": report.vehicles,
        "written": report.written,
        "present": report.present,
    }


def describe(report: IndexBackfill) -> str:
    """One line per index: how many items this run wrote, and how many were there already."""
    lines = [f"scanned {report.customers} customers, {report.vehicles} vehicles"]
    lines += [
        f"{kind:<5} index: {report.written[kind]} written, {report.present[kind]} already present"
        for kind in report.written
    ]
    return "\n".join(lines)
