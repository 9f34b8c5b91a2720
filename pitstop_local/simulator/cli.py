"""`pitstop call`: place a simulated Twilio call against a running stack (`pitstop dev`).

Prints the conversation as it happens, then what the call changed in the CRM and the outbox,
and writes the stereo WAV + JSON transcript. Exits 1 when the scenario's expectations are not
met, so a scenario doubles as a smoke test against any stack (local, or a deployed webhook).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

DEFAULT_SCENARIO = "known-customer-books-oil-change"
DEFAULT_REMINDER_SCENARIO = "reminder-confirmed"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "call",
        help="place a simulated Twilio call (signed webhook, media stream, WAV)",
        description="Act as Twilio: post the signed voice webhook, open the media stream, speak a "
        "scenario's caller in real time, record both sides to a stereo WAV, and check the result "
        "in the CRM. Defaults come from the running `pitstop dev` (.pitstop/dev.json).",
    )
    parser.add_argument(
        "--scenario",
        default=None,
        help=f"shipped scenario name or a JSON file (default: {DEFAULT_SCENARIO}, or "
        f"{DEFAULT_REMINDER_SCENARIO} with --reminder)",
    )
    parser.add_argument(
        "--http",
        default=None,
        help="webhook base URL (default: the running pitstop "
        "dev, else $PITSTOP_PUBLIC_URL, else http://127.0.0.1:8000)",
    )
    parser.add_argument("--from", dest="caller", default=None, help="caller's number, E.164")
    parser.add_argument(
        "--reminder",
        metavar="APPOINTMENT_ID",
        default=None,
        help="answer the reminder call for this appointment (from the outbox)",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="line speed factor (default 1.0)")
    parser.add_argument(
        "--wav",
        type=Path,
        default=None,
        help="recording path (default .pitstop/calls/<CallSid>.wav)",
    )
    parser.add_argument("--list", action="store_true", help="list the shipped scenarios and exit")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from pitstop_local.simulator.scenario import load_scenario, shipped_scenarios

    if args.list:
        for name, path in shipped_scenarios().items():
            print(f"{name:36} {load_scenario(path).description}")
        return 0
    name = args.scenario or (DEFAULT_REMINDER_SCENARIO if args.reminder else DEFAULT_SCENARIO)
    try:
        scenario = load_scenario(name)
    except (FileNotFoundError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    return asyncio.run(place_call(scenario, args))


def _environment(args) -> dict:
    """Where the stack is: the running `pitstop dev` state, else PITSTOP_* variables."""
    from pitstop_local.dev import read_state

    state = read_state() or {}
    env = os.environ
    return {
        "http_url": args.http
        or state.get("http_url")
        or env.get("PITSTOP_PUBLIC_URL")
        or "http://127.0.0.1:8000",
        "dynamodb_endpoint": state.get("dynamodb_endpoint") or env.get("PITSTOP_DYNAMODB_ENDPOINT"),
        "table": state.get("table") or env.get("PITSTOP_TABLE") or "pitstop",
        "shop_id": state.get("shop_id") or env.get("PITSTOP_SHOP_ID") or "demo",
        "outbox": state.get("outbox") or env.get("PITSTOP_OUTBOX") or ".pitstop/outbox.jsonl",
    }


def _crm(where: dict):
    """The CRM of the stack, when we can reach its table (to show and check the outcome)."""
    if not where["dynamodb_endpoint"]:
        return None
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    from pitstop.config import Settings
    from pitstop.dal import Crm

    return Crm(
        Settings(
            dynamodb_endpoint=where["dynamodb_endpoint"],
            table_name=where["table"],
            shop_id=where["shop_id"],
            outbox_path=Path(where["outbox"]),
        )
    )


def print_turn(turn) -> None:
    who = {"caller": "Caller", "agent": "Agent ", "twiml": "Twilio"}.get(turn.role, turn.role)
    print(f"  [{turn.ms / 1000:6.1f}s] {who}: {turn.text}", flush=True)


async def place_call(scenario, args) -> int:
    from pitstop import handoff
    from pitstop_local.simulator import checks, recording
    from pitstop_local.simulator.twilio_sim import SimulationError, TwilioSimulator

    where = _environment(args)
    crm = _crm(where)
    outbox = Path(where["outbox"])

    async def transcript(call_sid: str):
        turns = await asyncio.to_thread(crm.calls.transcript, call_sid)
        return [(t.role, t.text) for t in turns]

    sim = TwilioSimulator(
        where["http_url"],
        speed=args.speed,
        outbox_path=outbox,
        transcript_source=transcript if crm else None,
        on_turn=print_turn,
    )
    dialled = None
    if args.reminder:
        dialled = reminder_call(outbox, args.reminder, crm, where["http_url"])
        if dialled is None:
            print(
                f"no reminder call for {args.reminder} in {outbox}, and no such upcoming "
                "appointment; run `pitstop reminders run` first",
                file=sys.stderr,
            )
            return 2
        scenario = scenario.model_copy(update={"direction": "reminder"})
    caller = args.caller or (dialled["to"] if dialled else scenario.caller)
    scenario = _render(scenario, crm, caller)
    before = checks.snapshot(crm, caller, outbox) if crm else None
    print(
        f"Calling {where['http_url']} as {caller} — scenario {scenario.name!r}"
        + (f" (answering reminder {dialled['sid']})" if dialled else ""),
        flush=True,
    )
    try:
        result = await (
            sim.answer(scenario, dialled) if dialled else sim.call(scenario, caller=caller)
        )
    except (SimulationError, OSError) as error:
        print(f"call failed: {error}", file=sys.stderr)
        return 1
    wav = args.wav or Path(".pitstop/calls") / f"{result.call_sid}.wav"
    print(f"call ended ({result.ended_by}) after {result.duration_ms / 1000:.1f}s")
    if crm is None:
        wav_path, json_path = recording.save(result, wav)
        print(f"recording: {wav_path} (left: caller, right: agent), transcript: {json_path}")
        print("(no DynamoDB endpoint known: CRM changes not shown)")
        return 1 if result.failures else 0
    catalog = crm.shops.catalog()
    handoff_numbers = handoff.targets(catalog.shop, catalog.settings)
    change = await _settled_change(crm, before, result.call_sid, outbox)
    await sim.refresh_transcript(result)  # the agent's last words, written as the call ended
    print("What changed:")
    for line in checks.describe(change):
        print("  " + line)
    wav_path, json_path = recording.save(result, wav)
    print(f"recording: {wav_path} (left: caller, right: agent), transcript: {json_path}")
    problems = checks.check(scenario.expect, result, change, handoff_numbers)
    for problem in problems:
        print(f"  ✗ {problem}")
    print("scenario passed" if not problems else "scenario FAILED")
    return 0 if not problems else 1


async def _settled_change(crm, before, call_sid: str, outbox: Path):
    """The call's change once the bridge has written the call's end (bounded wait)."""
    from pitstop_local.simulator import checks

    for _ in range(100):
        change = await asyncio.to_thread(checks.change_since, crm, before, call_sid, outbox)
        if change.record is None or change.record.ended_at or change.record.outcome == "voicemail":
            return change
        await asyncio.sleep(0.1)  # another process's write; nothing to await on across processes
    return change


def _render(scenario, crm, caller: str):
    name = None
    tz = "America/New_York"
    if crm is not None:
        try:
            tz = crm.shops.catalog().shop.timezone
            customer_id = crm.customers.id_for_phone(caller)
            name = crm.customers.get(customer_id).name if customer_id else None
        except Exception as error:  # noqa: BLE001 - rendering works without the CRM too
            print(f"(could not read the shop: {error!r})", file=sys.stderr)
    return scenario.render(datetime.now(ZoneInfo(tz)).date(), caller_name=name)


def reminder_call(outbox: Path, appointment_id: str, crm, http_url: str) -> dict | None:
    """The outbox `call` entry that dialled `appointment_id` (latest), else a fresh one made up
    for the appointment as the reminders run would (so a single reminder can be tried)."""
    from pitstop.telephony import read_outbox

    for entry in reversed(read_outbox(outbox)):
        if entry.get("kind") != "call":
            continue
        query = parse_qs(urlsplit(entry.get("url", "")).query)
        if query.get("appointment_id") == [appointment_id]:
            return entry
    if crm is None:
        return None
    made_up = _made_up_call(crm, appointment_id, http_url)
    if made_up is not None:
        print(
            f"(no reminder run dialled {appointment_id}: placing the call directly; the "
            "appointment's reminder state only follows calls the run placed)"
        )
    return made_up


def _made_up_call(crm, appointment_id: str, http_url: str) -> dict | None:
    import uuid
    from datetime import UTC, timedelta

    from pitstop import reminders
    from pitstop.models import CallDirection, CallRecord, CallStatus

    shop = crm.shops.catalog().shop
    today = datetime.now(ZoneInfo(shop.timezone)).date()
    for offset in range(31):
        for appointment in crm.appointments.on_day(shop.shop_id, today + timedelta(days=offset)):
            if appointment.appointment_id != appointment_id:
                continue
            customer = crm.customers.get(appointment.customer_id)
            sid = "CA" + uuid.uuid4().hex
            now = datetime.now(UTC)
            crm.calls.start(
                CallRecord(
                    call_sid=sid,
                    direction=CallDirection.REMINDER,
                    customer_number=customer.phone,
                    customer_id=customer.customer_id,
                    appointment_id=appointment_id,
                    status=CallStatus.QUEUED,
                    started_at=now,
                ),
                now,
            )
            return {
                "kind": "call",
                "sid": sid,
                "to": customer.phone,
                "from_": crm.settings.from_number,
                "url": reminders.reminder_url(http_url, appointment),
                "status_callback": reminders.status_callback_url(http_url),
                "machine_detection": True,
            }
    return None
