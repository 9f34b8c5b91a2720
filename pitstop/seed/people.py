"""The demo shop's customers: ~30 people with vehicles (valid VINs) and service history."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TypeAlias

from pitstop.models import Customer, ServiceRecord, Vehicle
from pitstop.seed.catalog import DEMO_CALLER, SERVICES
from pitstop.tools.vin import YEAR_CODES, with_check_digit

People: TypeAlias = list[tuple[Customer, list[Vehicle]]]

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


def demo_plate(n: int, k: int) -> str:
    """A plate for demo customer `n`'s `k`-th car, from the numbers alone (the seed's random
    sequence, and so every VIN, stays as it was)."""
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    return (
        f"{letters[n % 22]}{letters[(n * 7 + k) % 22]}{letters[(n * 13) % 22]}-{1000 + n * 37 + k}"
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
        plate="PIT-4821",
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
                    plate=demo_plate(n, k),
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
