"""`pitstop demo` (`make demo`): one real call through the whole local stack, offline.

Starts the local stack (moto DynamoDB seeded with the demo shop, webhook and tools over HTTP,
offline engine; the media bridge in a child process) on free ports, has the simulated Twilio place
the "known customer books an oil change" call, prints the conversation as it happens, then the
appointment exactly as stored in DynamoDB, the SMS in the outbox and the recording's path.
Exit status 0 only when the booking really happened — the demo is also a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sys
import warnings
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="place a demo call through the whole local stack (offline) and show the booking",
        description="Start the local stack, let a simulated caller (Alex Morgan, 2019 Toyota "
        "Camry) book an oil change by phone, and show the transcript, the appointment in "
        "DynamoDB, the SMS in the outbox and the call recording. Exits 0 only if the booking "
        "happened.",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="line speed factor (1.0 = real time, as a phone call)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".pitstop/demo"),
        help="where the outbox and the recording go (default: .pitstop/demo)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show the services' JSON logs here (default: <workdir>/services.log; the "
        "bridge's are always in <workdir>/bridge.log)",
    )
    parser.set_defaults(func=_run)


class _ServiceLogSplitter(io.TextIOBase):
    """stdout for the demo: the services' JSON log and EMF metric lines (CloudWatch's format,
    printed by the same handlers that run in AWS) go to a log file; everything else — the
    conversation and the results — reaches the terminal."""

    def __init__(self, terminal, log_path: Path):
        self._terminal = terminal
        self._log = log_path.open("a", encoding="utf-8")
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for line in lines:
            target = self._log if line.startswith('{"') else self._terminal
            target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self._terminal.flush()
        self._log.flush()

    def close_log(self) -> None:
        if self._partial:
            self._terminal.write(self._partial)
        self._log.close()


def _run(args: argparse.Namespace) -> int:
    args.workdir.mkdir(parents=True, exist_ok=True)
    terminal = sys.stdout
    splitter = None
    if not args.verbose:
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        warnings.filterwarnings("ignore", message="No application metrics")
        splitter = _ServiceLogSplitter(terminal, args.workdir / "services.log")
        sys.stdout = splitter
        # The shared logger was built (on stdout, at its default level) when `pitstop` imported.
        from pitstop.observability import logger

        logger.setLevel(os.environ["POWERTOOLS_LOG_LEVEL"])
        handler = logger.registered_handler
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(splitter)
    try:
        return asyncio.run(demo(args))
    except KeyboardInterrupt:
        return 130
    finally:
        if splitter is not None:
            sys.stdout = terminal
            splitter.close_log()


def _json(value) -> str:
    def default(obj):
        if isinstance(obj, Decimal):
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        return str(obj)

    return json.dumps(value, indent=2, sort_keys=True, default=default)


async def demo(args: argparse.Namespace) -> int:
    from pitstop import handoff
    from pitstop.dal import keys
    from pitstop_local.dev import LocalStack
    from pitstop_local.simulator import checks, recording
    from pitstop_local.simulator.cli import DEFAULT_SCENARIO, print_turn
    from pitstop_local.simulator.scenario import load_scenario

    args.workdir.mkdir(parents=True, exist_ok=True)
    outbox = args.workdir / "outbox.jsonl"
    outbox.unlink(missing_ok=True)  # a fresh demo: only this call's messages
    print("Pitstop demo — everything runs on this machine: no cloud account, no network.")
    print(
        "Starting the local stack (moto DynamoDB, webhook + tools Lambdas, media bridge, "
        "offline engine)…",
        flush=True,
    )
    async with LocalStack(workdir=args.workdir) as stack:
        for line in stack.describe()[:5]:
            print("  " + line)
        catalog = stack.crm.shops.catalog()
        shop = catalog.shop
        today = datetime.now(ZoneInfo(shop.timezone)).date()
        scenario = load_scenario(DEFAULT_SCENARIO)
        customer_id = stack.crm.customers.id_for_phone(scenario.caller)
        caller = stack.crm.customers.get(customer_id)
        scenario = scenario.render(
            today, caller_name=caller.name, is_open=lambda d: shop.hours_on(d) is not None
        )
        if stack.engine_kind == "offline":
            print(
                "The agent's voice is Pitstop's offline test engine (PocketSphinx + eSpeak NG), "
                "a development stand-in for OpenAI Realtime, not the production brain."
            )
        print(f"\n{caller.name} ({caller.phone}, 2019 Toyota Camry) calls {shop.name}:", flush=True)
        before = checks.snapshot(stack.crm, scenario.caller, stack.outbox_path)
        sim = stack.simulator(speed=args.speed, on_turn=print_turn)
        result = await sim.call(scenario)
        try:
            await stack.call_finished(result.call_sid)
        except TimeoutError as error:
            print(f"(warning: {error})")
        await sim.refresh_transcript(result)
        change = checks.change_since(stack.crm, before, result.call_sid, stack.outbox_path)
        wav, transcript = recording.save(result, args.workdir / f"demo-call-{result.call_sid}.wav")
        problems = checks.check(
            scenario.expect, result, change, handoff.targets(shop, catalog.settings)
        )
        seconds = result.duration_ms / 1000
        print(f"\nCall ended ({result.ended_by}) after {seconds:.1f} s of line time.")

        booked = [a for a in change.booked if a.service_type == "oil_change"]
        print(
            "\nThe appointment as stored in DynamoDB "
            f"(table {stack.table!r} at {stack.dynamodb_endpoint}):"
        )
        stored = None
        for appointment in booked:
            item = stack.crm.table.get_item(
                Key={
                    keys.PK: keys.customer(appointment.customer_id),
                    keys.SK: keys.appointment_sk(appointment.appointment_id),
                }
            ).get("Item")
            stored = stored or item
            print(_json(item))
        if not booked:
            print("  (none — no appointment was booked)")
        print(f"\nSMS in the outbox ({stack.outbox_path}):")
        sms = change.sms(scenario.caller)
        for entry in sms:
            print(f"  to {entry['to']} from {entry['from_']}: {entry['body']}")
        if not sms:
            print("  (none)")
        if change.record is not None:
            print(
                f"\nCall record: {result.call_sid} outcome={change.record.outcome} "
                f"status={change.record.status}"
            )
        print(f"\nRecording (stereo WAV, left = caller, right = agent): {wav}")
        print(f"Transcript (JSON): {transcript}")
        print(_console_hint(result.call_sid))
        if problems:
            print("\nDemo FAILED:")
            for problem in problems:
                print(f"  ✗ {problem}")
        ok = bool(stored) and not problems
        print(
            "\nDemo succeeded: the oil change is booked in DynamoDB."
            if ok
            else "\nDemo failed: no booking in DynamoDB.",
            flush=True,
        )
        return 0 if ok else 1


def _console_hint(call_sid: str) -> str:
    """How to see this call in the shop's console (the demo's stack stops when it ends)."""
    from pitstop_local.signin import DEV_USERS

    user, (password, _) = next(iter(DEV_USERS.items()))
    return (
        "\nThe shop's console: run `.venv/bin/pitstop dev`, open http://127.0.0.1:8080/ and "
        f"sign in as {user} / {password}.\n"
        f"  This call was at #/calls/{call_sid} while the demo ran; place one with "
        "`.venv/bin/pitstop call --scenario known-customer-books-oil-change` and watch it live "
        "on Today."
    )


if __name__ == "__main__":
    sys.exit(_run(argparse.Namespace(speed=1.0, workdir=Path(".pitstop/demo"), verbose=False)))
