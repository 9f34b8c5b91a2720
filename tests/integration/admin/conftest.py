"""The admin API over real HTTP: the local adapter (JWT check as API Gateway does it) in front of
the real admin `lambda_handler`, on moto's DynamoDB server, with the demo catalogue loaded."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pitstop import config
from pitstop.dal import Crm
from pitstop.models import Customer, Vehicle
from pitstop.seed import BAYS, SERVICES, build_shop
from pitstop_local.http import serve_lambdas
from pitstop_local.signin import issue_token

TZ = ZoneInfo("America/New_York")


def _open_weekday() -> date:
    """A weekday the demo shop is open, a few days ahead (tools book at most 120 days out)."""
    today = datetime.now(TZ).date()
    shop = build_shop("demo", today)
    day = today + timedelta(days=3)
    while day.weekday() >= 5 or shop.hours_on(day) is None:
        day += timedelta(days=1)
    return day


DAY = _open_weekday()
OWNER = issue_token("olive@shop.test", ["owners"])
ADVISOR = issue_token("adam@shop.test", ["advisors"])


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), tzinfo=TZ).isoformat()


@pytest.fixture
def shop(crm: Crm) -> Crm:
    crm.shops.put_shop(build_shop(crm.settings.shop_id, datetime.now(TZ).date()))
    for bay in BAYS:
        crm.shops.put_bay(bay)
    for service in SERVICES:
        crm.shops.put_service(service)
    for n, (cid, name) in enumerate([("cus_alex", "Alex Morgan"), ("cus_bea", "Bea Chen")], 1):
        crm.customers.create(
            Customer(customer_id=cid, name=name, phone=f"+1555123000{n}"),
            [
                Vehicle(
                    vehicle_id=f"veh_{cid[4:]}", customer_id=cid, make="Ford", model="Ka", year=2016
                )
            ],
        )
    return crm


@pytest.fixture
def api(shop, settings, monkeypatch):
    """`api(method, path, body=None, token=OWNER)` → (status, JSON body), over HTTP."""
    monkeypatch.setenv("PITSTOP_TABLE", settings.table_name)
    monkeypatch.setenv("PITSTOP_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint)
    monkeypatch.setenv("PITSTOP_OUTBOX", str(settings.outbox_path))
    monkeypatch.setenv("PITSTOP_TELEPHONY", "outbox")
    config.get_settings.cache_clear()
    server = serve_lambdas(port=0)

    def call(method: str, path: str, body: dict | None = None, token: str | None = OWNER):
        request = urllib.request.Request(
            server.url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"content-type": "application/json"}
            | ({"authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    yield call
    server.stop()
    config.get_settings.cache_clear()


def now() -> datetime:
    return datetime.now(UTC)
