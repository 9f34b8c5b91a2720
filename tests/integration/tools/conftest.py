"""Fixtures for the tools against moto's DynamoDB server over HTTP.

`shop` loads the demo catalogue (bays, services, hours) plus a few known customers, which is
much faster than the full seed; `invoke` calls the real `lambda_handler` with v2 events.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from pitstop import config
from pitstop.dal import Crm, keys
from pitstop.models import Customer, Vehicle
from pitstop.seed import BAYS, SERVICES, build_shop
from pitstop.telephony import OutboxTelephony
from pitstop.tools import ToolContext, run_tool
from pitstop_local.http import LocalLambdaContext

TZ = ZoneInfo("America/New_York")
MONDAY = date(2030, 12, 2)  # a plain Monday (no holiday near it)
NOW = datetime(2030, 12, 2, 7, 0, tzinfo=TZ)  # before opening on that Monday
ALEX = ToolContext(call_sid="CAalex", customer_number="+15551230001", customer_id="cus_alex")
BEA = ToolContext(call_sid="CAbea", customer_number="+15551230002")  # identified by phone only


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).isoformat()


@pytest.fixture
def shop(crm: Crm):
    """The demo catalogue and two customers: Alex (texts OK) and Bea (no texts)."""
    crm.shops.put_shop(build_shop(crm.settings.shop_id, MONDAY))
    for bay in BAYS:
        crm.shops.put_bay(bay)
    for service in SERVICES:
        crm.shops.put_service(service)
    crm.customers.create(
        Customer(customer_id="cus_alex", name="Alex Morgan", phone="+15551230001"),
        [
            Vehicle(
                vehicle_id="veh_alex",
                customer_id="cus_alex",
                make="Toyota",
                model="Camry",
                year=2019,
            )
        ],
    )
    crm.customers.create(
        Customer(customer_id="cus_bea", name="Bea Chen", phone="+15551230002", sms_opt_in=False),
        [
            Vehicle(
                vehicle_id="veh_bea", customer_id="cus_bea", make="Honda", model="Civic", year=2015
            )
        ],
    )
    return crm


@pytest.fixture
def telephony(settings):
    return OutboxTelephony(settings.outbox_path, settings.from_number)


@pytest.fixture
def tool(shop, telephony):
    """`tool(name, args, context=ALEX, now=NOW)` → result dict, through `run_tool`."""

    def call(name: str, args: dict, context: ToolContext = ALEX, now: datetime = NOW) -> dict:
        return run_tool(name, args, context, shop, telephony, now)

    return call


@pytest.fixture
def customers(shop):
    """`customers(n)` → n fresh (context, vehicle_id) pairs, each a different customer."""

    def make(n: int, prefix: str = "race") -> list[tuple[ToolContext, str]]:
        out = []
        for i in range(n):
            cid, vid, phone = f"cus_{prefix}{i:03d}", f"veh_{prefix}{i:03d}", f"+1555777{i:04d}"
            shop.customers.create(
                Customer(customer_id=cid, name=f"Racer {i}", phone=phone),
                [Vehicle(vehicle_id=vid, customer_id=cid, make="Ford", model="Focus", year=2016)],
            )
            out.append(
                (
                    ToolContext(call_sid=f"CA{prefix}{i}", customer_number=phone, customer_id=cid),
                    vid,
                )
            )
        return out

    return make


def table_items(crm: Crm) -> list[dict]:
    """Every item (a Scan: tests only, never on a call path)."""
    table, items, kwargs = crm.table, [], {}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def assert_consistent(crm: Crm) -> None:
    """Held granules are exactly those of active appointments: nothing orphaned, nothing missing."""
    from pitstop.dal.table import from_item
    from pitstop.models import Appointment
    from pitstop.scheduling import granules

    items = table_items(crm)
    held = {
        (i[keys.PK], i[keys.SK]): i["appointment_id"]
        for i in items
        if i[keys.PK].startswith(keys.SLOTS)
    }
    expected = {}
    for item in items:
        if item.get("entity") == "Appointment":
            appt = from_item(Appointment, item)
            if appt.active:
                for hhmm in granules(appt.start, appt.end, 30):
                    key = (keys.slots(appt.shop_id, appt.day), keys.slot_sk(appt.bay, hhmm))
                    assert key not in expected, f"double booking at {key}"
                    expected[key] = appt.appointment_id
    assert held == expected


@pytest.fixture
def invoke(settings, monkeypatch):
    """Call the real tools `lambda_handler` with a function-URL (v2) event for this test's table."""
    monkeypatch.setenv("PITSTOP_TABLE", settings.table_name)
    monkeypatch.setenv("PITSTOP_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint)
    monkeypatch.setenv("PITSTOP_OUTBOX", str(settings.outbox_path))
    monkeypatch.setenv("PITSTOP_TOOLS_AUTH", "token")
    monkeypatch.delenv("PITSTOP_TOOLS_TOKEN", raising=False)
    config.get_settings.cache_clear()
    from functions.tools.handler import lambda_handler

    def call(
        method: str,
        path: str,
        body: dict | None = None,
        token: str | None = config.DEV_TOOLS_TOKEN,
        raw_body: str | None = None,
    ) -> tuple[int, dict]:
        headers = {"content-type": "application/json", "host": "127.0.0.1:8000"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "local",
                "domainName": "127.0.0.1",
                "domainPrefix": "127",
                "requestId": "req-1",
                "routeKey": "$default",
                "stage": "$default",
                "time": "01/Jan/2030:00:00:00 +0000",
                "timeEpoch": 0,
                "http": {
                    "method": method,
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "127.0.0.1",
                    "userAgent": "pytest",
                },
            },
            "body": raw_body
            if raw_body is not None
            else (json.dumps(body) if body is not None else None),
            "isBase64Encoded": False,
        }
        response = lambda_handler(event, LocalLambdaContext(function_name="tools"))
        return response["statusCode"], json.loads(response["body"]) if response.get("body") else {}

    yield call
    config.get_settings.cache_clear()
