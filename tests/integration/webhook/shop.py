"""A minimal shop, customer, vehicle and appointment written through the data layer.

Shared by the webhook tests and the webhook benchmark (until `pitstop.seed` offers the demo shop).
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from pitstop.dal import Crm
from pitstop.models import (
    AgentSettings,
    Appointment,
    Bay,
    Customer,
    OpeningHours,
    ServiceType,
    Shop,
    Vehicle,
)

SHOP_NAME = "Riverside Auto Care"
SHOP_PHONE = "+15551230000"
CUSTOMER_ID = "cus_webhook01"
CUSTOMER_PHONE = "+15551234567"
APPOINTMENT_ID = "apt_webhook01"
TZ = ZoneInfo("America/New_York")
# Tuesday 1 December 2026, 9:00 in the shop's zone.
APPOINTMENT_START = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)


def seed_shop(crm: Crm, settings: AgentSettings | None = None) -> None:
    """Write the shop catalogue, one customer with a vehicle, and one booked appointment."""
    weekday = OpeningHours(opens=time(8), closes=time(17))
    crm.shops.put_shop(
        Shop(
            shop_id=crm.settings.shop_id,
            name=SHOP_NAME,
            phone=SHOP_PHONE,
            timezone=TZ.key,
            opening_hours={d: weekday for d in ("mon", "tue", "wed", "thu", "fri")},
        )
    )
    crm.shops.put_service(
        ServiceType(
            code="oil_change",
            name="Oil change",
            duration_minutes=30,
            price_min=49,
            price_max=89,
            bays=["B1"],
        )
    )
    crm.shops.put_bay(Bay(bay="B1", name="Bay 1"))
    crm.shops.put_settings(settings or AgentSettings())
    crm.customers.create(
        Customer(customer_id=CUSTOMER_ID, name="Dana Whitfield", phone=CUSTOMER_PHONE),
        [
            Vehicle(
                vehicle_id="veh_webhook01",
                customer_id=CUSTOMER_ID,
                make="Honda",
                model="Civic",
                year=2019,
                mileage=42000,
            )
        ],
    )
    crm.appointments.book(
        Appointment(
            appointment_id=APPOINTMENT_ID,
            shop_id=crm.settings.shop_id,
            customer_id=CUSTOMER_ID,
            vehicle_id="veh_webhook01",
            service_type="oil_change",
            bay="B1",
            start=APPOINTMENT_START,
            end=APPOINTMENT_START.replace(minute=30),
        )
    )
