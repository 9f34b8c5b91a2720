"""`pitstop reminders run|status`: the reminder run against the configured (by default local) stack.

Uses the same settings as every Pitstop process (PITSTOP_* variables, which `pitstop dev`
exports); the DynamoDB endpoint defaults to the local stack's moto server, and with
PITSTOP_TELEPHONY=outbox (the default) calls are written to the outbox instead of Twilio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from pitstop.config import LOCAL_DYNAMODB_ENDPOINT, Settings

Command = Callable[[argparse.Namespace], int]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "reminders",
        help="run or inspect reminder calls",
        description="Reminder calls for upcoming appointments.",
    )
    sub = parser.add_subparsers(dest="reminders_command", required=True, metavar="ACTION")

    run = sub.add_parser(
        "run", help="dial the due reminders now (default: tomorrow's appointments)"
    )
    _common(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be dialled and why the rest are skipped; change nothing",
    )
    run.add_argument(
        "--calling-hours",
        choices=("enforce", "ignore"),
        default=None,
        help="respect the shop's calling hours (default: enforce, except with outbox "
        "telephony, where nobody is really phoned)",
    )
    run.set_defaults(func=_guarded(_run))

    status = sub.add_parser("status", help="reminder state of each appointment on a day")
    _common(status)
    status.set_defaults(func=_guarded(_status))


def _guarded(command: Command) -> Command:
    """Turn "the stack is not there" into one line of advice instead of a traceback."""

    def run(args: argparse.Namespace) -> int:
        from botocore.exceptions import EndpointConnectionError

        from pitstop.dal import NotFound

        restore = _quiet_logs(args.verbose)
        try:
            return command(args)
        except EndpointConnectionError:
            print(
                f"pitstop reminders: no DynamoDB at {args.endpoint}; start the local stack with "
                "`pitstop dev` (or pass --endpoint)",
                file=sys.stderr,
            )
        except NotFound as error:
            print(f"pitstop reminders: {error}", file=sys.stderr)
        finally:
            restore()
        return 2

    return run


def _quiet_logs(verbose: bool) -> Callable[[], None]:
    """JSON log lines go to stderr (stdout carries the summary or `--json`); warnings only, or -v.

    Returns a function that puts the logger back as it was (the CLI may run inside a process).
    """
    import logging

    from pitstop.observability import logger

    python_logger = logging.getLogger(logger.name)
    level = python_logger.level
    python_logger.setLevel(logging.INFO if verbose else logging.WARNING)
    streams = [
        (h, h.stream) for h in python_logger.handlers if isinstance(h, logging.StreamHandler)
    ]
    for handler, _ in streams:
        handler.setStream(sys.stderr)

    def restore() -> None:
        python_logger.setLevel(level)
        for handler, stream in streams:
            handler.setStream(stream)

    return restore


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the appointments' day (default: tomorrow in the shop's time zone)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="log each appointment (to stderr)"
    )
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("PITSTOP_DYNAMODB_ENDPOINT") or LOCAL_DYNAMODB_ENDPOINT,
        help="DynamoDB endpoint (default: $PITSTOP_DYNAMODB_ENDPOINT, else %(default)s); "
        "'aws' for the real service",
    )
    parser.add_argument(
        "--outbox",
        type=Path,
        default=None,
        help="outbox file for PITSTOP_TELEPHONY=outbox (default: $PITSTOP_OUTBOX)",
    )


def _settings(args: argparse.Namespace) -> Settings:
    # AWS credentials are irrelevant to moto but boto3 insists on some.
    local = args.endpoint != "aws"
    if local:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    update: dict[str, object] = {"dynamodb_endpoint": args.endpoint if local else None}
    if args.outbox:
        update["outbox_path"] = args.outbox
    return Settings().model_copy(update=update)


def _run(args: argparse.Namespace) -> int:
    from functions.reminders.run import run_reminders
    from pitstop.dal import Crm
    from pitstop.telephony import telephony_for

    settings = _settings(args)
    enforce = (
        args.calling_hours or ("ignore" if settings.telephony == "outbox" else "enforce")
    ) == "enforce"
    summary = run_reminders(
        Crm(settings),
        telephony_for(settings),
        day=args.date,
        dry_run=args.dry_run,
        enforce_calling_hours=enforce,
    )
    if args.json:
        print(json.dumps(summary.to_dict(), indent=2))
        return 0
    result = summary.to_dict()
    verb = "would dial" if summary.dry_run else "dialled"
    print(
        f"Reminders for {result['shop_id']} on {result['day']}"
        f"{' (dry run: nothing changed)' if summary.dry_run else ''}"
        f"{'' if enforce else ' (calling hours not enforced: outbox telephony)'}"
    )
    for call in result["calls"]:
        sid = f"  {call['call_sid']}" if "call_sid" in call else ""
        print(
            f"  {verb:10} {call['appointment_id']}  {call['start']}  {call['customer_number']}"
            f"  attempt {call['attempt']}{sid}"
        )
    for skip in result["skips"]:
        print(f"  {'skipped':10} {skip['appointment_id']}  {skip['reason']}")
    skipped = ", ".join(f"{k} {v}" for k, v in result["skipped"].items()) or "none"
    placed = len(result["calls"]) if summary.dry_run else result["dialled"]
    print(
        f"found {result['found']} · due {result['due']} · {verb} {placed}"
        f" · failed {result['failed']} · deferred {result['deferred']} · skipped: {skipped}"
    )
    if not summary.dry_run and settings.telephony == "outbox" and summary.dialled:
        print(f"calls written to the outbox {settings.outbox_path}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from functions.reminders.run import reminder_day
    from pitstop.dal import Crm

    crm = Crm(_settings(args))
    day = args.date or reminder_day(crm.shops.catalog().shop, datetime.now(UTC))
    rows = [
        {
            "appointment_id": a.appointment_id,
            "start": a.start.isoformat(),
            "status": a.status.value,
            "reminder_status": a.reminder_status.value,
            "attempts": a.reminder_attempts,
            "call_sid": a.reminder_call_sid,
            "next_attempt": a.reminder_next_attempt.isoformat()
            if a.reminder_next_attempt
            else None,
        }
        for a in crm.reminders.on_day(day)
    ]
    counts = Counter(r["reminder_status"] for r in rows)
    if args.json:
        print(
            json.dumps(
                {"day": day.isoformat(), "counts": dict(counts), "appointments": rows}, indent=2
            )
        )
        return 0
    print(
        f"Reminders on {day.isoformat()}: "
        + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no appointments")
    )
    for r in rows:
        print(
            f"  {r['appointment_id']}  {r['start']}  {r['status']:10} {r['reminder_status']:11} "
            f"attempts {r['attempts']}  {r['call_sid'] or ''}"
        )
    return 0
