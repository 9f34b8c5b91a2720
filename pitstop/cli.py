"""`pitstop`: the operator's command line (seed the CRM, run reminders), locally and against AWS.

Each subcommand lives beside the code it drives and registers itself through a `register(sub)`
function. Shipped commands are listed here; commands that only make sense on a laptop (the local
stack, the call simulator, the demo) belong to the `pitstop_local` package and join through the
`pitstop.commands` entry-point group, so this module never imports local-only code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

# subcommand → module that defines `register(subparsers)`; the registered parser sets `func`.
COMMANDS = {
    "seed": "pitstop.seed.cli",
    "reminders": "functions.reminders.cli",
    "messages": "pitstop.messages_cli",
    "report": "pitstop.report",
}
ENTRY_POINT_GROUP = "pitstop.commands"


def command_modules() -> dict[str, str]:
    """Shipped commands plus those an installed extra contributes (name → module)."""
    modules = dict(COMMANDS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        modules.setdefault(entry.name, entry.value)
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitstop",
        description="Pitstop, the AI phone receptionist for car service centres: "
        "seed the CRM, run reminders; with the local stack installed, run it and place calls.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in command_modules().values():
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
