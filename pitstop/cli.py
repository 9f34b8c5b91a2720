"""`pitstop`: one command line for everything a developer or operator runs locally.

Each subcommand lives beside the code it drives and registers itself through a `register(sub)`
function; this module only knows their names, so `pitstop --help` stays fast and complete.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand → module that defines `register(subparsers)`; the registered parser sets `func`.
COMMANDS = {
    "seed": "pitstop.seed",
    "dev": "pitstop.local.dev",
    "call": "pitstop.local.simulator.cli",
    "demo": "pitstop.local.demo",
    "reminders": "functions.reminders.cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description="Pitstop, the AI phone receptionist for car service centres: "
        "seed the CRM, run the local stack, place simulated calls, run reminders.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
