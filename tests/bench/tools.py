"""Tools benchmark: latency and DynamoDB requests of check_availability and book_appointment.

Against the local DynamoDB (moto over HTTP) holding the seeded demo shop plus 10,000 extra
appointments, so the by-day index and the `SLOTS#` partitions carry a realistic load. Requests
are counted with a botocore `before-call` hook: that count is the figure that carries over to
AWS; moto's absolute latency does not (see the note printed at the end).
"""

from __future__ import annotations

import logging
import os
import random
import statistics
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

EXTRA_APPOINTMENTS = 10_000
CALLS = 200


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _load_extra(crm, today: date, n: int) -> None:
    """Write `n` appointments (with their granules) directly: bulk load, not a measured path."""
    from pitstop.models import Appointment
    from pitstop.scheduling import granules
    from pitstop.seed import SERVICES

    repo, tz = crm.appointments, ZoneInfo("America/New_York")
    shop = crm.shops.catalog().shop
    rnd = random.Random(99)
    days = [d for d in (today + timedelta(days=i) for i in range(-300, 300)) if shop.hours_on(d)]
    held: set[tuple[date, str, str]] = set()
    written = 0
    with crm.table.batch_writer() as batch:
        while written < n:
            day, service = rnd.choice(days), rnd.choice(SERVICES)
            hours = shop.hours_on(day)
            opens = datetime.combine(day, hours.opens, tzinfo=tz)
            span = int(
                (datetime.combine(day, hours.closes, tzinfo=tz) - opens).total_seconds() // 1800
            )
            start = opens + timedelta(
                minutes=30 * rnd.randrange(span - service.duration_minutes // 30 + 1)
            )
            end = start + timedelta(minutes=service.duration_minutes)
            bay = rnd.choice(service.bays)
            slots = [(day, bay, t) for t in granules(start, end, 30)]
            if any(s in held for s in slots):
                continue
            held.update(slots)
            appt = Appointment(
                appointment_id=f"apt_bench{written:06d}",
                shop_id=shop.shop_id,
                customer_id=f"cus_bench{written % 500:04d}",
                vehicle_id="veh_bench",
                service_type=service.code,
                bay=bay,
                start=start,
                end=end,
            )
            batch.put_item(Item=repo._item(appt))  # the data layer's own item shapes
            for t in granules(start, end, 30):
                batch.put_item(Item=repo._hold(appt, t)["Put"]["Item"])
            written += 1


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from pitstop.config import Settings
    from pitstop.dal import Crm
    from pitstop.models import Customer, Vehicle
    from pitstop.seed import seed
    from pitstop.telephony import OutboxTelephony
    from pitstop.tools import ToolContext, run_tool
    from pitstop_local.dynamodb import LocalDynamoDB

    server = LocalDynamoDB().start()
    try:
        settings = Settings(
            table_name=f"bench-{uuid.uuid4().hex[:6]}",
            dynamodb_endpoint=server.endpoint,
            outbox_path=f"/tmp/pitstop-bench-{os.getpid()}.jsonl",
        )
        tz = ZoneInfo("America/New_York")
        today = datetime.now(tz).date()
        started = time.perf_counter()
        seed(settings, today)
        crm = Crm(settings)
        _load_extra(crm, today, EXTRA_APPOINTMENTS)
        print(
            f"seeded + {EXTRA_APPOINTMENTS} appointments in {time.perf_counter() - started:.1f}s",
            flush=True,
        )

        callers = []
        for i in range(CALLS):
            cid, phone = f"cus_bb{i:04d}", f"+1555888{i:04d}"
            crm.customers.create(
                Customer(customer_id=cid, name=f"Bench {i}", phone=phone),
                [
                    Vehicle(
                        vehicle_id=f"veh_bb{i:04d}",
                        customer_id=cid,
                        make="Ford",
                        model="Focus",
                        year=2018,
                    )
                ],
            )
            callers.append(
                ToolContext(call_sid=f"CAbench{i}", customer_number=phone, customer_id=cid)
            )

        requests: Counter[str] = Counter()
        client = crm.table.meta.client
        client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: requests.update([model.name])
        )
        telephony = OutboxTelephony(settings.outbox_path, settings.from_number)
        now = datetime.now(UTC)
        services = ["oil change", "tire rotation", "brake service", "wheel alignment", "diagnostic"]
        days = [today + timedelta(days=1 + i % 20) for i in range(CALLS)]
        stats: dict[str, dict] = {}

        def timed(label, fn):
            """Run one tool call, adding its latency, DynamoDB requests and outcome to `label`."""
            row = stats.setdefault(label, {"ms": [], "requests": Counter(), "outcomes": Counter()})
            requests.clear()
            t0 = time.perf_counter()
            result = fn()
            row["ms"].append((time.perf_counter() - t0) * 1000)
            row["requests"].update(requests)
            row["outcomes"]["ok" if result["ok"] else result["error"]] += 1
            return result

        def check(i):
            return run_tool(
                "check_availability",
                {
                    "service_type": services[i % len(services)],
                    "preferred_date": days[i].isoformat(),
                    "preferred_time_of_day": ("morning", "afternoon", "any")[i % 3],
                },
                callers[i],
                crm,
                telephony,
                now,
            )

        def book(i, slot, caller=None):
            return run_tool(
                "book_appointment",
                {
                    "vehicle_id": f"veh_bb{(caller or i):04d}",
                    "service_type": services[i % len(services)],
                    "start": slot["start"],
                    "bay": slot["bay"],
                },
                callers[caller or i],
                crm,
                telephony,
                now,
            )

        booked = []
        for i in range(CALLS):  # a caller's flow: look, then book the first offer
            slots = timed("check_availability", lambda i=i: check(i))["slots"]
            if slots:
                timed("book_appointment", lambda i=i, slot=slots[0]: book(i, slot))
                booked.append((i, slots[0]))
        for i, slot in booked[:50]:  # someone else asks for a slot that was just taken
            timed("book (slot_taken)", lambda i=i, slot=slot: book(i, slot, caller=(i + 1) % CALLS))

        print(
            f"\n{'tool':<20} {'calls':>5} {'p50 ms':>8} {'p95 ms':>8} {'req/call':>9}  "
            "requests / outcomes"
        )
        for label, row in stats.items():
            ms, n = row["ms"], len(row["ms"])
            per_call = sum(row["requests"].values()) / n
            print(
                f"{label:<20} {n:>5} {statistics.median(ms):>8.1f} {_percentile(ms, 95):>8.1f} "
                f"{per_call:>9.2f}  {dict(row['requests'])} {dict(row['outcomes'])}"
            )
        print(
            "\nmoto as the local stack serves it (`pitstop_local.dynamodb`: a Query reads its "
            "partition, a transaction snapshots the partitions it writes, as DynamoDB's cost "
            "model is). Request counts are what carries over to AWS; one call's tools share its "
            "catalogue read (`pitstop.dal.catalog_cache`)."
        )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
