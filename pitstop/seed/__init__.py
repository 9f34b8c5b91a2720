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
from pitstop.models import AgentSettings, Appointment, Catalog, OpeningHours, Shop
from pitstop.seed.catalog import BAYS, DEMO_CALLER, SERVICES, SHOP_NAME, TIMEZONE, build_shop
from pitstop.seed.people import CARS, People, demo_people, history, make_vin
from pitstop.seed.versioned import load

__all__ = [
    "BAYS",
    "CARS",
    "DEMO_CALLER",
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


def seed(settings: Settings, today: date) -> SeedReport:
    """Create the table if needed and load the demo shop into it."""
    create_table(settings)
    crm = Crm(settings)
    rnd = random.Random(20240601)
    shop = build_shop(settings.shop_id, today)
    now = datetime.now(UTC)
    table, shop_id = crm.table, settings.shop_id
    load(ShopLog(table, shop_id), shop, crm.shops.put_shop, now)
    load(CatalogLog(table, shop_id), Catalog(services=SERVICES, bays=BAYS), _put_catalog(crm), now)
    load(SettingsLog(table, shop_id), DEMO_SETTINGS, crm.shops.put_settings, now)
    people = demo_people(rnd, today)
    records = 0
    for customer, vehicles in people:
        with suppress(PhoneAlreadyRegistered):  # seeded before: the same ids, nothing to change
            crm.customers.create(customer, vehicles)
        for vehicle in vehicles:
            for record in history(rnd, vehicle, today):
                crm.customers.put_service_record(record)
                records += 1
    booked = 0
    appointments = [a for a in demo_appointments(shop, people, rnd, today) if shop.hours_on(a.day)]
    for appointment in appointments:
        try:
            crm.appointments.book(appointment)
            booked += 1
        except SlotTaken:
            pass  # already there from an earlier run
    return SeedReport(
        customers=len(people),
        vehicles=sum(len(v) for _, v in people),
        records=records,
        appointments=len(appointments),
        booked_now=booked,
    )
