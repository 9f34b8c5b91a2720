"""`pitstop report` over calls priced by the after-call processing: by the shop's day, through
the call log's day index, totals equal to the sum of the calls' own costs."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from pitstop import report
from pitstop.after_call import AfterCall
from pitstop.models import CallDirection, CallOutcome, CallRecord, CallStatus
from tests.integration.webhook.shop import seed_shop

DAY1 = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 10:00 in New York
DAY2 = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)  # 23:30 on Nov 30 in New York: still day 1
DAY3 = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

CALLS = [
    ("CAr1", CallDirection.INBOUND, CallOutcome.BOOKED, DAY1, 95, {"input_audio": 40_000}),
    ("CAr2", CallDirection.INBOUND, CallOutcome.HANDED_OFF, DAY1, 200, {"output_audio": 9_000}),
    ("CAr3", CallDirection.INBOUND, CallOutcome.BOOKED, DAY2, 61, {"output_text": 3_000}),
    ("CAr4", CallDirection.REMINDER, CallOutcome.CONFIRMED, DAY3, 45, {"input_audio": 8_000}),
    ("CAr5", CallDirection.REMINDER, CallOutcome.NO_ANSWER, DAY3, 0, {}),
]
# A test call from the console: priced, but not in any report.
TEST_CALL = ("CAr6", CallDirection.TEST, CallOutcome.BOOKED, DAY1, 300, {"output_audio": 50_000})


def _priced_call(crm, call_sid, direction, outcome, started, seconds, usage):
    record = CallRecord(
        call_sid=call_sid,
        direction=direction,
        customer_number="+15551230001",
        shop_id=crm.settings.shop_id,
        status=CallStatus.RINGING,
        started_at=started,
        outcome=outcome,
        usage=usage,
    )
    crm.calls.start(record, started)
    ended = (started + timedelta(seconds=seconds)).isoformat()
    crm.calls.update_status(
        call_sid, CallStatus.COMPLETED, {"duration_seconds": seconds, "ended_at": ended}
    )
    image = crm.table.get_item(Key={"pk": f"CALL#{call_sid}", "sk": "RECORD"})["Item"]
    assert AfterCall(crm).process(image, started)


@pytest.fixture
def priced(crm, settings, monkeypatch):
    seed_shop(crm)
    for call in [*CALLS, TEST_CALL]:
        _priced_call(crm, *call)
    assert crm.calls.get("CAr6").cost.total_usd > 0
    crm.calls.start(  # still going on: not priced, counted as such
        CallRecord(
            call_sid="CAlive",
            direction=CallDirection.INBOUND,
            customer_number="+15551230009",
            started_at=DAY3,
        ),
        DAY3,
    )
    for name, value in {
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "PITSTOP_SHOP_ID": settings.shop_id,
    }.items():
        monkeypatch.setenv(name, value)
    return {sid: crm.calls.get(sid).cost for sid, *_ in CALLS}


def _cli(capsys, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="pitstop")
    report.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv])
    return args.func(args), capsys.readouterr().out


def test_the_totals_are_the_sum_of_the_calls_costs(priced, capsys):
    code, out = _cli(capsys, "--since", "2026-11-30", "--until", "2026-12-01", "--json")
    assert code == 0
    body = json.loads(out)
    costs = {sid: cost.total_usd for sid, cost in priced.items()}
    assert all(cost > 0 for sid, cost in costs.items() if sid != "CAr5")
    assert body["total"]["cost_usd"] == round(sum(costs.values()), 6)
    assert body["total"]["calls"] == 5 and body["total"]["unpriced"] == 1
    day1, day2 = body["days"]
    assert day1["day"] == "2026-11-30" and day1["calls"] == 3
    assert day1["cost_usd"] == round(costs["CAr1"] + costs["CAr2"] + costs["CAr3"], 6)
    assert day2["cost_usd"] == round(costs["CAr4"] + costs["CAr5"], 6)
    assert round(day1["cost_usd"] + day2["cost_usd"], 6) == body["total"]["cost_usd"]
    inbound = costs["CAr1"] + costs["CAr2"] + costs["CAr3"]
    assert body["per_booking_usd"] == round(inbound / 2, 6)
    assert body["per_confirmed_reminder_usd"] == round(costs["CAr4"] + costs["CAr5"], 6)
    assert body["per_handoff_usd"] == costs["CAr2"]
    assert (body["total"]["bookings"], body["total"]["confirmed_reminders"]) == (2, 1)


def test_the_table_for_people(priced, capsys):
    code, out = _cli(capsys, "--since", "2026-11-30", "--until", "2026-12-01")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["day", "calls", "cost", "bookings", "confirmed", "handoffs"]
    assert lines[1].split()[:2] == ["2026-11-30", "3"]
    assert any(line.startswith("cost per booking") for line in lines)
    assert "1 calls not priced yet" in out


def test_a_window_backwards_is_refused(priced, capsys):
    assert _cli(capsys, "--since", "2026-12-01", "--until", "2026-11-30")[0] == 2
