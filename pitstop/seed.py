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

import argparse
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pitstop.config import Settings
from pitstop.dal import Crm, PhoneAlreadyRegistered, SlotTaken, create_table
from pitstop.models import (
    AgentSettings,
    Appointment,
    Bay,
    Customer,
    OpeningHours,
    ServiceRecord,
    ServiceType,
    Shop,
    Vehicle,
)
from pitstop.tools.vin import YEAR_CODES, with_check_digit

SHOP_NAME = "Pitstop Demo Garage"
TIMEZONE = "America/New_York"
LOCAL_ENDPOINT = "http://127.0.0.1:5005"
DEMO_CALLER = {
    "name": "Alex Morgan",
    "phone": "+15551230001",
    "customer_id": "cus_demo0001",
    "vehicle_id": "veh_demo0001",
    "vehicle": "2019 Toyota Camry",
}

BAYS = [
    Bay(bay="bay1", name="Bay 1 (quick lube)"),
    Bay(bay="bay2", name="Bay 2 (quick lube)"),
    Bay(bay="bay3", name="Bay 3 (general)"),
    Bay(bay="bay4", name="Bay 4 (general, A/C)"),
    Bay(bay="bay5", name="Bay 5 (alignment rack)"),
]
ALL = [b.bay for b in BAYS]
SERVICES = [
    ServiceType(
        code="oil_change",
        name="Oil change",
        duration_minutes=30,
        price_min=49,
        price_max=89,
        bays=ALL,
        aliases=["oil", "oil and filter", "lube", "oil service"],
    ),
    ServiceType(
        code="tire_rotation",
        name="Tire rotation",
        duration_minutes=30,
        price_min=25,
        price_max=40,
        bays=ALL,
        aliases=["tyre rotation", "rotate tires", "rotation"],
    ),
    ServiceType(
        code="state_inspection",
        name="State inspection",
        duration_minutes=30,
        price_min=35,
        price_max=35,
        bays=["bay3", "bay4"],
        aliases=["inspection", "safety inspection"],
    ),
    ServiceType(
        code="battery_replacement",
        name="Battery replacement",
        duration_minutes=30,
        price_min=120,
        price_max=260,
        bays=["bay1", "bay2", "bay3", "bay4"],
        aliases=["battery", "new battery"],
    ),
    ServiceType(
        code="brake_service",
        name="Brake service",
        duration_minutes=90,
        price_min=150,
        price_max=450,
        bays=["bay3", "bay4"],
        aliases=["brakes", "brake pads", "brake job"],
    ),
    ServiceType(
        code="wheel_alignment",
        name="Wheel alignment",
        duration_minutes=60,
        price_min=89,
        price_max=129,
        bays=["bay5"],
        aliases=["alignment", "four wheel alignment"],
    ),
    ServiceType(
        code="ac_service",
        name="A/C service",
        duration_minutes=60,
        price_min=99,
        price_max=250,
        bays=["bay4"],
        aliases=["air conditioning", "ac", "a c service", "ac recharge"],
    ),
    ServiceType(
        code="diagnostic",
        name="Engine diagnostic",
        duration_minutes=60,
        price_min=95,
        price_max=150,
        bays=["bay3", "bay4"],
        aliases=["check engine light", "diagnostics", "diagnosis"],
    ),
]
HOURS = {
    "mon": OpeningHours(opens=time(8), closes=time(18)),
    "tue": OpeningHours(opens=time(8), closes=time(18)),
    "wed": OpeningHours(opens=time(8), closes=time(18)),
    "thu": OpeningHours(opens=time(8), closes=time(18)),
    "fri": OpeningHours(opens=time(8), closes=time(18)),
    "sat": OpeningHours(opens=time(9), closes=time(13)),
    "sun": None,
}

FIRST = [
    "Jordan",
    "Taylor",
    "Casey",
    "Riley",
    "Morgan",
    "Jamie",
    "Avery",
    "Quinn",
    "Drew",
    "Skyler",
    "Reese",
    "Parker",
    "Rowan",
    "Emerson",
    "Hayden",
    "Dakota",
    "Sam",
    "Charlie",
    "Robin",
    "Kendall",
    "Logan",
    "Peyton",
    "Cameron",
    "Blake",
    "Elliot",
    "Finley",
    "Harper",
    "Jesse",
    "Lane",
]
LAST = [
    "Rivera",
    "Chen",
    "Patel",
    "Johnson",
    "Nguyen",
    "Garcia",
    "Smith",
    "Kim",
    "Brown",
    "Davis",
    "Lopez",
    "Wilson",
    "Martin",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Hill",
    "Campbell",
    "Mitchell",
    "Roberts",
]
# (make, model, WMI) — WMIs as in pitstop.tools.vin.MANUFACTURERS
CARS = [
    ("Honda", "Civic", "2HG"),
    ("Honda", "CR-V", "5J6"),
    ("Ford", "F-150", "1FT"),
    ("Ford", "Escape", "1FM"),
    ("Chevrolet", "Silverado", "1GC"),
    ("Chevrolet", "Malibu", "1G1"),
    ("Nissan", "Altima", "1N4"),
    ("Subaru", "Outback", "4S4"),
    ("Hyundai", "Elantra", "5NP"),
    ("Jeep", "Grand Cherokee", "1C4"),
    ("Toyota", "RAV4", "2T3"),
    ("BMW", "330i", "WBA"),
    ("Tesla", "Model 3", "5YJ"),
    ("Kia", "Sorento", "5XY"),
]
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(wmi: str, year: int, rnd: random.Random) -> str:
    """A VIN with a valid check digit whose model year decodes back to `year`."""
    vds = "".join(rnd.choice(_VIN_CHARS) for _ in range(3))
    seventh = rnd.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if year >= 2010 else rnd.choice("0123456789")
    body = wmi + vds + seventh + rnd.choice(_VIN_CHARS) + "0"  # positions 1-8, placeholder at 9
    serial = "".join(rnd.choice("0123456789") for _ in range(6))
    return with_check_digit(
        body + YEAR_CODES[(year - 1980) % 30] + rnd.choice("ABCDEFGHJKLMN") + serial
    )


def us_holidays(year: int) -> list[date]:
    """Days the demo shop closes: the big US holidays, computed so any --today has some."""

    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    def last_monday(month: int) -> date:
        last = date(year, month + 1, 1) - timedelta(days=1)
        return last - timedelta(days=last.weekday())

    return [
        date(year, 1, 1),
        last_monday(5),
        date(year, 7, 4),
        nth_weekday(9, 0, 1),
        nth_weekday(11, 3, 4),
        date(year, 12, 25),
    ]


@dataclass
class SeedReport:
    customers: int
    vehicles: int
    records: int
    appointments: int
    booked_now: int


def build_shop(shop_id: str, today: date) -> Shop:
    holidays = us_holidays(today.year) + us_holidays(today.year + 1)
    return Shop(
        shop_id=shop_id,
        name=SHOP_NAME,
        timezone=TIMEZONE,
        phone="+15551239000",
        address="1200 Piston Avenue, Springfield",
        opening_hours=HOURS,
        holidays=holidays,
    )


def demo_people(rnd: random.Random, today: date) -> list[tuple[Customer, list[Vehicle]]]:
    """~30 customers with vehicles; number 1 is the documented demo caller."""
    people = []
    alex = Customer(
        customer_id=DEMO_CALLER["customer_id"],
        name=DEMO_CALLER["name"],
        phone=DEMO_CALLER["phone"],
        email="alex.morgan@example.com",
        sms_opt_in=True,
    )
    camry = Vehicle(
        vehicle_id=DEMO_CALLER["vehicle_id"],
        customer_id=alex.customer_id,
        vin=make_vin("4T1", 2019, rnd),
        make="Toyota",
        model="Camry",
        year=2019,
        mileage=48210,
    )
    people.append((alex, [camry]))
    for n in range(2, 31):
        cid = f"cus_demo{n:04d}"
        name = f"{FIRST[(n - 2) % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}"
        customer = Customer(
            customer_id=cid,
            name=name,
            phone=f"+1555123{n:04d}",
            email=f"{name.lower().replace(' ', '.')}@example.com",
            sms_opt_in=n % 5 != 0,
            do_not_call=n % 11 == 0,
        )
        vehicles = []
        for k in range(1 + (n % 4 == 0)):
            make, model, wmi = CARS[(n + 3 * k) % len(CARS)]
            year = min(today.year, 2008 + (n * 3 + k) % 17)
            vehicles.append(
                Vehicle(
                    vehicle_id=f"veh_demo{n:04d}{'' if k == 0 else chr(97 + k)}",
                    customer_id=cid,
                    vin=make_vin(wmi, year, rnd),
                    make=make,
                    model=model,
                    year=year,
                    mileage=8000 + rnd.randrange(0, 150_000, 7),
                )
            )
        people.append((customer, vehicles))
    return people


def history(rnd: random.Random, vehicle: Vehicle, today: date) -> list[ServiceRecord]:
    records = []
    for k in range(1 + rnd.randrange(3)):
        service = SERVICES[rnd.randrange(len(SERVICES))]
        day = today - timedelta(days=30 + 90 * k + rnd.randrange(60))
        records.append(
            ServiceRecord(
                record_id=f"svc_{vehicle.vehicle_id[4:]}_{k}",
                customer_id=vehicle.customer_id,
                vehicle_id=vehicle.vehicle_id,
                day=day,
                service_type=service.code,
                description=f"{service.name} completed",
                mileage=max(0, (vehicle.mileage or 0) - 3000 * (k + 1)),
                cost=float(service.price_min),
            )
        )
    return records


def working_days(shop: Shop, today: date, days: int) -> list[date]:
    return [d for d in (today + timedelta(days=i) for i in range(1, days + 1)) if shop.hours_on(d)]


# Customers booked on the next working day, so the reminder run always has calls to make
# (number 11 is on do-not-call: the run must skip them).
NEXT_DAY_CUSTOMERS = (2, 4, 11)


def next_day_reminders(shop: Shop, people, day: date) -> list[Appointment]:
    """Tire rotations in bay2 late on `day`, booked before the rest so nothing displaces them."""
    closes = datetime.combine(day, shop.hours_on(day).closes, tzinfo=ZoneInfo(shop.timezone))
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


def demo_appointments(shop: Shop, people, rnd: random.Random, today: date) -> list[Appointment]:
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
        hours = shop.hours_on(day)
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


def seed(settings: Settings, today: date) -> SeedReport:
    """Create the table if needed and load the demo shop into it."""
    create_table(settings)
    crm = Crm(settings)
    rnd = random.Random(20240601)
    shop = build_shop(settings.shop_id, today)
    crm.shops.put_shop(shop)
    for bay in BAYS:
        crm.shops.put_bay(bay)
    for service in SERVICES:
        crm.shops.put_service(service)
    crm.shops.put_settings(
        AgentSettings(
            extra_instructions=(
                f"You answer the phone for {SHOP_NAME}. Prices are ranges; the technician confirms on the day."
            )
        )
    )
    people = demo_people(rnd, today)
    records = 0
    for customer, vehicles in people:
        try:
            crm.customers.create(customer, vehicles)
        except PhoneAlreadyRegistered:
            pass  # seeded before: the same ids, nothing to change
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


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "seed",
        help="load the demo shop, customers and appointments into DynamoDB",
        description="Load the demo shop (Pitstop Demo Garage: 5 bays, 8 services, ~30 customers, "
        "appointments over the next two weeks) into a DynamoDB table, creating the table if needed. "
        "Deterministic and idempotent. Demo caller: Alex Morgan, +15551230001, 2019 Toyota Camry.",
    )
    parser.add_argument(
        "--endpoint",
        default=None,
        help="DynamoDB endpoint URL, or 'aws' for the real service (default: "
        "$PITSTOP_DYNAMODB_ENDPOINT, else the local moto server http://127.0.0.1:5005)",
    )
    parser.add_argument(
        "--table", default=None, help="table name (default: $PITSTOP_TABLE or 'pitstop')"
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the day appointments are relative to, YYYY-MM-DD (default: today in the shop's zone)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    endpoint = args.endpoint or settings.dynamodb_endpoint or LOCAL_ENDPOINT
    updates = {"dynamodb_endpoint": None if endpoint == "aws" else endpoint}
    if args.table:
        updates["table_name"] = args.table
    settings = settings.model_copy(update=updates)
    today = args.today or datetime.now(ZoneInfo(TIMEZONE)).date()
    report = seed(settings, today)
    print(
        f"Seeded {SHOP_NAME} into table {settings.table_name!r} at {settings.dynamodb_endpoint}: "
        f"{report.customers} customers, {report.vehicles} vehicles, {report.records} service records, "
        f"{report.appointments} appointments ({report.booked_now} new)."
    )
    print(f"Demo caller: {DEMO_CALLER['name']} {DEMO_CALLER['phone']} ({DEMO_CALLER['vehicle']}).")
    return 0
