"""`pitstop seed`: load the demo shop into a DynamoDB table (moto locally, or any endpoint).

Deterministic (a fixed random seed, ids derived from positions, dates relative to `--today`) and
idempotent (fixed keys; bookings that already exist are left alone), so running it twice leaves
the same table and tests can rely on what it wrote.

The demo caller, for trying the agent by phone or simulator:
    Alex Morgan, +15551230001, one vehicle: 2019 Toyota Camry (`veh_demo0001`).
    Next appointment: a tire rotation at 10:00 on the first working day at least 3 days after
    `--today`; every weekday morning keeps free bays, so
    `check_availability {"service_type": "oil change", "preferred_date": <next weekday>}` offers
    oil-change slots that Alex can book.

`--shop tokyo` loads the Japanese demo shop instead (`pitstop.seed.tokyo`: Asia/Tokyo, yen,
+81 customers, everything in Japanese); demo caller 山田 太郎, +819055550001.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pitstop.config import Settings
from pitstop.dal import Crm, PhoneAlreadyRegistered, SlotTaken, create_table
from pitstop.dal.settings_log import CatalogLog, SettingsLog, ShopLog
from pitstop.models import (
    AgentSettings,
    Appointment,
    Catalog,
    Customer,
    OpeningHours,
    ServiceRecord,
    Shop,
    Vehicle,
)
from pitstop.seed import tokyo
from pitstop.seed.catalog import BAYS, DEMO_CALLER, SERVICES, SHOP_NAME, TIMEZONE, build_shop
from pitstop.seed.people import CARS, People, demo_people, history, make_vin
from pitstop.seed.versioned import load

__all__ = [
    "BAYS",
    "CARS",
    "DEMO_CALLER",
    "DEMO_SHOPS",
    "SERVICES",
    "SHOP_NAME",
    "TIMEZONE",
    "SeedReport",
    "build_shop",
    "make_vin",
    "seed",
]


@dataclass
class SeedReport:
    customers: int
    vehicles: int
    records: int
    appointments: int
    booked_now: int


def working_days(shop: Shop, today: date, days: int) -> list[date]:
    return [d for d in (today + timedelta(days=i) for i in range(1, days + 1)) if shop.hours_on(d)]


def _hours(shop: Shop, day: date) -> OpeningHours:
    """The hours of a day the shop is open (a working day, as `working_days` picks them)."""
    hours = shop.hours_on(day)
    if hours is None:
        raise ValueError(f"{shop.name} is closed on {day}")
    return hours


# Customers booked on the next working day, so the reminder run always has calls to make
# (number 11 is on do-not-call: the run must skip them).
NEXT_DAY_CUSTOMERS = (2, 4, 11)


def next_day_reminders(shop: Shop, people: People, day: date) -> list[Appointment]:
    """Tire rotations in bay2 late on `day`, booked before the rest so nothing displaces them."""
    closes = datetime.combine(day, _hours(shop, day).closes, tzinfo=ZoneInfo(shop.timezone))
    out = []
    for k, n in enumerate(NEXT_DAY_CUSTOMERS):
        customer, vehicles = people[n - 1]
        start = closes - timedelta(minutes=30 * (len(NEXT_DAY_CUSTOMERS) - k))
        out.append(
            Appointment(
                appointment_id=f"apt_demo{n:04d}",
                shop_id=shop.shop_id,
                customer_id=customer.customer_id,
                vehicle_id=vehicles[0].vehicle_id,
                service_type="tire_rotation",
                bay="bay2",
                start=start,
                end=start + timedelta(minutes=30),
            )
        )
    return out


def demo_appointments(
    shop: Shop, people: People, rnd: random.Random, today: date
) -> list[Appointment]:
    """About two appointments a working day over the next two weeks, none before 10:00 on weekdays
    (so weekday mornings always have oil-change room), plus Alex's tire rotation."""
    tz = ZoneInfo(shop.timezone)
    days = working_days(shop, today, 14)
    alex_day = next(d for d in days if d >= today + timedelta(days=3))
    out = []
    alex, (camry,) = people[0]
    start = datetime.combine(alex_day, time(10), tzinfo=tz)
    out.append(
        Appointment(
            appointment_id="apt_demo0001",
            shop_id=shop.shop_id,
            customer_id=alex.customer_id,
            vehicle_id=camry.vehicle_id,
            service_type="tire_rotation",
            bay="bay1",
            start=start,
            end=start + timedelta(minutes=30),
            notes="Demo appointment",
        )
    )
    out += next_day_reminders(shop, people, days[0])
    for n, (customer, vehicles) in enumerate(people[1:], start=2):
        if n % 3 == 0 or n in NEXT_DAY_CUSTOMERS:
            continue  # not everyone has something booked
        service = SERVICES[n % len(SERVICES)]
        day = days[(n * 5) % len(days)]
        hours = _hours(shop, day)
        slots = (
            datetime.combine(day, hours.closes) - datetime.combine(day, time(10))
        ).seconds // 1800
        latest = slots - service.duration_minutes // 30
        begin = time(10) if day.weekday() < 5 else hours.opens
        first = datetime.combine(day, begin, tzinfo=tz) + timedelta(
            minutes=30 * rnd.randrange(max(1, latest))
        )
        out.append(
            Appointment(
                appointment_id=f"apt_demo{n:04d}",
                shop_id=shop.shop_id,
                customer_id=customer.customer_id,
                vehicle_id=vehicles[0].vehicle_id,
                service_type=service.code,
                bay=service.bays[n % len(service.bays)],
                start=first,
                end=first + timedelta(minutes=service.duration_minutes),
            )
        )
    return out


#: Who a handoff rings, in order (the front desk, then the service manager's mobile), and the
#: service advisor texted for each message taken: Twilio's magic test numbers, never real lines.
HANDOFF_NUMBERS = ["+15005550011", "+15005550012"]
ADVISOR_NUMBER = "+15005550013"


DEMO_SETTINGS = AgentSettings(
    extra_instructions=(
        f"You answer the phone for {SHOP_NAME}. "
        "Prices are ranges; the technician confirms on the day."
    ),
    handoff_numbers=HANDOFF_NUMBERS,
    advisor_number=ADVISOR_NUMBER,
)


def _put_catalog(crm: Crm) -> Callable[[Catalog], None]:
    def put(catalog: Catalog) -> None:
        for bay in catalog.bays:
            crm.shops.put_bay(bay)
        for service in catalog.services:
            crm.shops.put_service(service)

    return put


@dataclass
class DemoShop:
    """Everything one demo shop loads: profile, catalogue, agent, people, history, bookings."""

    shop: Shop
    catalog: Catalog
    agent: AgentSettings
    people: list[tuple[Customer, list[Vehicle]]]
    records: list[ServiceRecord]
    appointments: list[Appointment]


def english_demo(shop_id: str, today: date) -> DemoShop:
    """Pitstop Demo Garage (the random draws in the order they have always been made, so every
    VIN and booking time stays as it was)."""
    rnd = random.Random(20240601)
    shop = build_shop(shop_id, today)
    people = demo_people(rnd, today)
    records = [r for _, vehicles in people for v in vehicles for r in history(rnd, v, today)]
    return DemoShop(
        shop=shop,
        catalog=Catalog(services=SERVICES, bays=BAYS),
        agent=DEMO_SETTINGS,
        people=people,
        records=records,
        appointments=demo_appointments(shop, people, rnd, today),
    )


def tokyo_demo(shop_id: str, today: date) -> DemoShop:
    """ピットストップ東京: the Japanese demo shop."""
    shop = tokyo.build_shop(shop_id, today)
    people = tokyo.people()
    records = [
        r
        for n, (_, vehicles) in enumerate(people, 1)
        for v in vehicles
        for r in tokyo.history(v, n, today)
    ]
    return DemoShop(
        shop=shop,
        catalog=Catalog(services=tokyo.SERVICES, bays=tokyo.BAYS),
        agent=tokyo.AGENT,
        people=people,
        records=records,
        appointments=tokyo.appointments(shop, today),
    )


@dataclass(frozen=True)
class DemoChoice:
    """One of `pitstop seed --shop`'s shops: how to build it, the zone its "today" is in, and
    who to call it as."""

    build: Callable[[str, date], DemoShop]
    timezone: str
    name: str
    caller: dict[str, str]


DEMO_SHOPS = {
    "demo": DemoChoice(english_demo, TIMEZONE, SHOP_NAME, DEMO_CALLER),
    "tokyo": DemoChoice(tokyo_demo, tokyo.TIMEZONE, tokyo.SHOP_NAME, tokyo.DEMO_CALLER),
}


def seed(settings: Settings, today: date, shop: str = "demo") -> SeedReport:
    """Create the table if needed and load a demo shop (`DEMO_SHOPS`) into it, as the table's
    shop (`settings.shop_id`)."""
    create_table(settings)
    crm = Crm(settings)
    demo = DEMO_SHOPS[shop].build(settings.shop_id, today)
    now = datetime.now(UTC)
    table, shop_id = crm.table, settings.shop_id
    load(ShopLog(table, shop_id), demo.shop, crm.shops.put_shop, now)
    load(CatalogLog(table, shop_id), demo.catalog, _put_catalog(crm), now)
    load(SettingsLog(table, shop_id), demo.agent, crm.shops.put_settings, now)
    for customer, vehicles in demo.people:
        with suppress(PhoneAlreadyRegistered):  # seeded before: the same ids, nothing to change
            crm.customers.create(customer, vehicles)
    for record in demo.records:
        crm.customers.put_service_record(record)
    booked = 0
    appointments = [a for a in demo.appointments if demo.shop.hours_on(a.day)]
    for appointment in appointments:
        try:
            crm.appointments.book(appointment)
            booked += 1
        except SlotTaken:
            pass  # already there from an earlier run
    return SeedReport(
        customers=len(demo.people),
        vehicles=sum(len(v) for _, v in demo.people),
        records=len(demo.records),
        appointments=len(appointments),
        booked_now=booked,
    )
