"""The Japanese demo shop (`pitstop seed --shop tokyo`): Asia/Tokyo, yen, +81 customers.

A shop that runs everything in Japanese: the agent settings say `language = "ja"`, so the
instructions, TwiML, tool phrasings and texts come from the Japanese pack. Service codes are
the English demo's (`oil_change`, …), which is what the tools and the offline engine (English
only) ask for; the names the caller hears are Japanese. Names are family name first, as a
Japanese customer gives them, so the agent addresses 山田 太郎 as 山田様. Japanese cars carry a
chassis number, not a 17-character VIN, so the vehicles have plates and no VIN.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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

SHOP_NAME = "ピットストップ東京"
TIMEZONE = "Asia/Tokyo"
# Fictional numbers: 03-5555 and 090-5555 are not assigned to subscribers.
SHOP_PHONE = "+81355550100"
DEMO_CALLER = {
    "name": "山田 太郎",
    "phone": "+819055550001",
    "customer_id": "cus_tokyo0001",
    "vehicle_id": "veh_tokyo0001",
    "vehicle": "2020 トヨタ プリウス",
}

BAYS = [
    Bay(bay="bay1", name="第1ピット オイル・タイヤ"),
    Bay(bay="bay2", name="第2ピット オイル・タイヤ"),
    Bay(bay="bay3", name="第3ピット 整備・車検"),
]
ALL = [b.bay for b in BAYS]
SERVICES = [
    ServiceType(
        code="oil_change",
        name="オイル交換",
        duration_minutes=30,
        price_min=3300,
        price_max=6600,
        bays=ALL,
        aliases=["オイル", "エンジンオイル交換"],
    ),
    ServiceType(
        code="tire_rotation",
        name="タイヤローテーション",
        duration_minutes=30,
        price_min=2200,
        price_max=3300,
        bays=ALL,
        aliases=["ローテーション"],
    ),
    ServiceType(
        code="tire_change",
        name="タイヤ交換",
        duration_minutes=60,
        price_min=4400,
        price_max=8800,
        bays=ALL,
        aliases=["タイヤ履き替え", "スタッドレス交換", "tire change"],
    ),
    ServiceType(
        code="vehicle_inspection",
        name="車検",
        duration_minutes=120,
        price_min=45000,
        price_max=120000,
        bays=["bay3"],
        aliases=["しゃけん", "inspection", "state inspection"],
    ),
    ServiceType(
        code="battery_replacement",
        name="バッテリー交換",
        duration_minutes=30,
        price_min=15000,
        price_max=35000,
        bays=ALL,
        aliases=["バッテリー"],
    ),
    ServiceType(
        code="brake_service",
        name="ブレーキ点検・整備",
        duration_minutes=90,
        price_min=8800,
        price_max=33000,
        bays=["bay3"],
        aliases=["ブレーキ", "ブレーキ点検"],
    ),
]
HOURS = {
    "mon": OpeningHours(opens=time(9), closes=time(18)),
    "tue": OpeningHours(opens=time(9), closes=time(18)),
    "wed": None,  # 定休日
    "thu": OpeningHours(opens=time(9), closes=time(18)),
    "fri": OpeningHours(opens=time(9), closes=time(18)),
    "sat": OpeningHours(opens=time(9), closes=time(17)),
    "sun": OpeningHours(opens=time(10), closes=time(16)),
}

# (family name, given name), family first as in Japanese.
PEOPLE = [
    ("山田", "太郎"),
    ("佐藤", "花子"),
    ("鈴木", "一郎"),
    ("高橋", "美咲"),
    ("田中", "健"),
    ("伊藤", "さくら"),
    ("渡辺", "翔"),
    ("中村", "由美"),
]
CARS = [
    ("トヨタ", "プリウス", 2020),
    ("ホンダ", "フィット", 2018),
    ("日産", "ノート", 2021),
    ("トヨタ", "アクア", 2019),
    ("マツダ", "CX-5", 2022),
    ("スバル", "フォレスター", 2017),
    ("スズキ", "ジムニー", 2023),
    ("ダイハツ", "タント", 2016),
]
PLATES = ["品川 330 さ 12-34", "品川 500 た 56-78", "世田谷 300 な 90-12", "練馬 501 は 34-56"]
# Customers booked on the next working day, so a reminder run has calls to make.
NEXT_DAY_CUSTOMERS = (2, 4)

AGENT = AgentSettings(
    language="ja",
    persona_name="ハナ",
    # Calls are recorded, so the caller hears the Japanese notice (a <Say language="ja-JP">).
    recording_enabled=True,
    extra_instructions="料金は目安です。正確な金額は当日、整備士がご案内します。",
    # Twilio's magic test numbers, never real lines (as in the English demo).
    handoff_numbers=["+15005550011", "+15005550012"],
    advisor_number="+15005550013",
)


def japanese_holidays(year: int) -> list[date]:
    """Days the shop closes: the New Year break and the fixed-date national holidays."""
    fixed = [(1, 1), (1, 2), (1, 3), (2, 11), (2, 23), (4, 29), (5, 3), (5, 4), (5, 5)]
    fixed += [(8, 11), (11, 3), (11, 23), (12, 30), (12, 31)]
    return [date(year, month, day) for month, day in fixed]


def build_shop(shop_id: str, today: date) -> Shop:
    return Shop(
        shop_id=shop_id,
        name=SHOP_NAME,
        timezone=TIMEZONE,
        currency="JPY",
        phone=SHOP_PHONE,
        address="東京都品川区東品川9-9-9",
        opening_hours=HOURS,
        holidays=japanese_holidays(today.year) + japanese_holidays(today.year + 1),
    )


def people() -> list[tuple[Customer, list[Vehicle]]]:
    """Eight customers, one car each; number 1 is the documented demo caller."""
    out = []
    for n, ((family, given), (make, model, year)) in enumerate(zip(PEOPLE, CARS, strict=True), 1):
        customer_id = f"cus_tokyo{n:04d}"
        customer = Customer(
            customer_id=customer_id,
            name=f"{family} {given}",
            phone=f"+81905555{n:04d}",
            sms_opt_in=n != 8,
        )
        vehicle = Vehicle(
            vehicle_id=f"veh_tokyo{n:04d}",
            customer_id=customer_id,
            make=make,
            model=model,
            year=year,
            mileage=12000 + 7300 * n,
            plate=PLATES[(n - 1) % len(PLATES)] if n <= len(PLATES) else None,
        )
        out.append((customer, [vehicle]))
    return out


def history(vehicle: Vehicle, n: int, today: date) -> list[ServiceRecord]:
    """One or two past visits a car, the same on every run."""
    records = []
    for k in range(1 + n % 2):
        service = SERVICES[(n + k) % len(SERVICES)]
        records.append(
            ServiceRecord(
                record_id=f"svc_{vehicle.vehicle_id[4:]}_{k}",
                customer_id=vehicle.customer_id,
                vehicle_id=vehicle.vehicle_id,
                day=today - timedelta(days=40 + 120 * k + 3 * n),
                service_type=service.code,
                description=f"{service.name} 完了",
                mileage=max(0, (vehicle.mileage or 0) - 4000 * (k + 1)),
                cost=float(service.price_min),
            )
        )
    return records


def appointments(shop: Shop, today: date) -> list[Appointment]:
    """The demo caller's tire rotation three working days on, afternoon rotations on the next
    working day for the reminder run, and an oil change for some others; mornings stay free."""
    tz = ZoneInfo(shop.timezone)
    days = [d for d in (today + timedelta(days=i) for i in range(1, 15)) if shop.hours_on(d)]

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=tz)

    def booking(n: int, service: ServiceType, start: datetime, bay: str) -> Appointment:
        return Appointment(
            appointment_id=f"apt_tokyo{n:04d}",
            shop_id=shop.shop_id,
            customer_id=f"cus_tokyo{n:04d}",
            vehicle_id=f"veh_tokyo{n:04d}",
            service_type=service.code,
            bay=bay,
            start=start,
            end=start + timedelta(minutes=service.duration_minutes),
        )

    rotation, oil = SERVICES[1], SERVICES[0]
    out = [booking(1, rotation, at(days[2], 14), "bay1")]
    out += [
        booking(n, rotation, at(days[0], 15, 30 * k), "bay2")
        for k, n in enumerate(NEXT_DAY_CUSTOMERS)
    ]
    out += [booking(n, oil, at(days[(n * 3) % len(days)], 13), "bay1") for n in (3, 5, 6)]
    return out
