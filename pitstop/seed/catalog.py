"""The demo shop's catalogue: the shop, its bays, services, opening hours, and the demo caller."""

from __future__ import annotations

from datetime import date, time, timedelta

from pitstop.models import Bay, OpeningHours, ServiceType, Shop

SHOP_NAME = "Pitstop Demo Garage"
TIMEZONE = "America/New_York"
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
