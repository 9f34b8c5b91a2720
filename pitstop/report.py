"""`pitstop report`: what the calls cost, per day and per booking, confirmed reminder, handoff.

Read from the calls' own `cost` (priced once after each call, `pitstop.after_call`) through the
call log's by-day index: one Query per UTC day of the window, never a Scan. Test calls from the
console are left out. The totals are sums of the calls' costs, exactly: each call's cost is
already rounded, and only the per-unit figures are divided.

- cost per booking: everything the inbound calls cost, divided by the bookings they made;
- cost per confirmed reminder: everything the reminder calls cost, divided by those confirmed;
- cost per handoff: what the calls that ended with a person (handoff, fallback) cost, each.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from pitstop.after_call import is_test_call
from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.dal.call_log import CallLog
from pitstop.models import CallDirection, CallOutcome, CallRecord

HANDOFF_OUTCOMES = frozenset({CallOutcome.HANDED_OFF, CallOutcome.FALLBACK})


class Tally(BaseModel):
    """Calls of one day (or of the whole window) and what they cost."""

    calls: int = 0
    cost_usd: float = 0.0
    inbound_cost_usd: float = 0.0
    reminder_cost_usd: float = 0.0
    handoff_cost_usd: float = 0.0
    bookings: int = 0
    confirmed_reminders: int = 0
    handoffs: int = 0
    unpriced: int = 0  # finished calls not priced yet (or calls still going on)

    def add(self, record: CallRecord) -> None:
        if record.cost is None:
            self.unpriced += 1
            return
        cost = record.cost.total_usd
        self.calls += 1
        self.cost_usd = round(self.cost_usd + cost, 6)
        if record.direction is CallDirection.REMINDER:
            self.reminder_cost_usd = round(self.reminder_cost_usd + cost, 6)
            self.confirmed_reminders += record.outcome is CallOutcome.CONFIRMED
        else:
            self.inbound_cost_usd = round(self.inbound_cost_usd + cost, 6)
            self.bookings += record.outcome is CallOutcome.BOOKED
        if record.outcome in HANDOFF_OUTCOMES:
            self.handoffs += 1
            self.handoff_cost_usd = round(self.handoff_cost_usd + cost, 6)

    @property
    def per_booking(self) -> float | None:
        return _per(self.inbound_cost_usd, self.bookings)

    @property
    def per_confirmed_reminder(self) -> float | None:
        return _per(self.reminder_cost_usd, self.confirmed_reminders)

    @property
    def per_handoff(self) -> float | None:
        return _per(self.handoff_cost_usd, self.handoffs)


def _per(cost: float, count: int) -> float | None:
    return round(cost / count, 6) if count else None


class DayReport(Tally):
    day: date
    # The slowest calls' response latency that day: the p95 over the calls' own p95s (ms).
    latency_p95_ms: float | None = None


class CostReport(BaseModel):
    since: date
    until: date
    currency: str = "USD"
    days: list[DayReport]
    total: Tally
    per_booking_usd: float | None
    per_confirmed_reminder_usd: float | None
    per_handoff_usd: float | None


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1)


def build_report(
    records: Iterable[CallRecord], since: date, until: date, tz: ZoneInfo
) -> CostReport:
    """The report over `records` (calls started in [since, until] in the shop's zone)."""
    days = {
        since + timedelta(days=i): DayReport(day=since + timedelta(days=i))
        for i in range((until - since).days + 1)
    }
    latencies: dict[date, list[float]] = {day: [] for day in days}
    total = Tally()
    for record in records:
        if is_test_call(record) or record.started_at is None:
            continue
        day = record.started_at.astimezone(tz).date()
        if day not in days:
            continue
        days[day].add(record)
        total.add(record)
        if record.latency and record.latency.response:
            latencies[day].append(record.latency.response.p95_ms)
    for day, report in days.items():
        report.latency_p95_ms = _p95(latencies[day])
    return CostReport(
        since=since,
        until=until,
        days=list(days.values()),
        total=total,
        per_booking_usd=total.per_booking,
        per_confirmed_reminder_usd=total.per_confirmed_reminder,
        per_handoff_usd=total.per_handoff,
    )


def cost_report(crm: Crm, since: date, until: date) -> CostReport:
    """Read the window's calls by day (one Query per UTC day) and report on them."""
    tz = ZoneInfo(crm.shops.catalog().shop.timezone)
    start = datetime.combine(since, time(0), tzinfo=tz)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=tz)
    records = CallLog(crm.table, crm.settings.shop_id).started_between(start, end)
    return build_report(records, since, until, tz)


# ---- the command line -------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "report",
        help="what the calls cost: per day, per booking, per confirmed reminder, per handoff",
        description="Cost of the calls started in a window of the shop's days (test calls left "
        "out), from each call's priced cost.",
    )
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument(
        "--until", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    parser.set_defaults(func=_run)


def _emit(text: str) -> None:
    print(text)  # noqa: T201 - a command line prints to its user


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.4f}"


def describe(report: CostReport) -> list[str]:
    heading = ("day", "calls", "cost", "bookings", "confirmed", "handoffs")
    lines = ["{:<10}  {:>5}  {:>10}  {:>8}  {:>9}  {:>8}".format(*heading)]
    for day in report.days:
        lines.append(
            f"{day.day.isoformat():<10}  {day.calls:>5}  {_money(day.cost_usd):>10}  "
            f"{day.bookings:>8}  {day.confirmed_reminders:>9}  {day.handoffs:>8}"
        )
    total = report.total
    lines += [
        f"{'total':<10}  {total.calls:>5}  {_money(total.cost_usd):>10}  {total.bookings:>8}  "
        f"{total.confirmed_reminders:>9}  {total.handoffs:>8}",
        f"cost per booking            {_money(report.per_booking_usd)}",
        f"cost per confirmed reminder {_money(report.per_confirmed_reminder_usd)}",
        f"cost per handoff            {_money(report.per_handoff_usd)}",
    ]
    if total.unpriced:
        lines.append(f"({total.unpriced} calls not priced yet: still going on, or just ended)")
    return lines


def _run(args: argparse.Namespace) -> int:
    crm = Crm(Settings())
    until = args.until or datetime.now(ZoneInfo(crm.shops.catalog().shop.timezone)).date()
    if until < args.since:
        _emit("--until is before --since")
        return 2
    report = cost_report(crm, args.since, until)
    if args.json:
        _emit(json.dumps(report.model_dump(mode="json"), indent=2))
    else:
        for line in describe(report):
            _emit(line)
    return 0
