"""Fixtures: a fake Realtime server, fake Twilio calls, and a bridge wired to them and to moto."""

from __future__ import annotations

from datetime import time

import pytest

from media_bridge import Bridge, BridgeOptions
from pitstop.dal import Crm
from pitstop.models import (
    WEEKDAYS,
    AgentSettings,
    Bay,
    Customer,
    OpeningHours,
    ServiceType,
    Shop,
    Vehicle,
)
from tests.integration.bridge.fakes import FakeRealtime, FakeTelephony, FakeTools, FakeTwilio

STREAM_KEY = "test-stream-key"
SHOP_PHONE = "+15550001111"
CUSTOMER = Customer(customer_id="cus_test0001", name="Alex Morgan", phone="+15551230001")
FAST = {
    "reconnect_backoff": 0.01,
    "realtime_open_timeout": 2.0,
    "handoff_audio_wait": 2.0,
    "end_call_audio_wait": 3.0,
    "watchdog_interval": 0.05,
    "metrics_interval": 3600.0,
    "tool_timeout": 3.0,
    "start_timeout": 3.0,
}


# Open every day, all day: a handoff test must not depend on the hour it runs at.
ALWAYS_OPEN = {d: OpeningHours(opens=time(0), closes=time.max) for d in WEEKDAYS}


def put_shop(crm: Crm, opening_hours: dict[str, OpeningHours | None]) -> None:
    crm.shops.put_shop(
        Shop(
            shop_id=crm.settings.shop_id,
            name="Test Garage",
            phone=SHOP_PHONE,
            address="1 Main St",
            opening_hours=opening_hours,
        )
    )


def seed_shop(crm: Crm, **agent) -> None:
    """The least a call needs: a shop (its phone for handoffs), a service, settings, a customer."""
    put_shop(crm, ALWAYS_OPEN)
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
    crm.shops.put_settings(AgentSettings(persona_name="Robin", voice="cedar", **agent))
    crm.customers.create(
        CUSTOMER,
        [
            Vehicle(
                vehicle_id="veh_test0001",
                customer_id=CUSTOMER.customer_id,
                make="Honda",
                model="Civic",
                year=2018,
            )
        ],
    )


@pytest.fixture
async def realtime():
    server = await FakeRealtime().start()
    yield server
    await server.stop()
    assert not server.violations, server.violations


@pytest.fixture
def telephony():
    return FakeTelephony()


@pytest.fixture
def crm(settings) -> Crm:
    crm = Crm(settings)
    seed_shop(crm)
    return crm


@pytest.fixture
async def make_bridge(settings, realtime, telephony, crm):
    bridges: list[Bridge] = []

    async def make(tools=None, settings_update: dict | None = None, **options) -> Bridge:
        bridge_settings = settings.model_copy(
            update={"realtime_url": realtime.url, **(settings_update or {})}
        )
        bridge = Bridge(
            bridge_settings,
            BridgeOptions(**{**FAST, **options}),
            tools=tools or FakeTools(),
            telephony=telephony,
            crm=crm,
            api_key="sk-test",
            stream_key=lambda: STREAM_KEY,
        )
        bridges.append(await bridge.start("127.0.0.1", 0))
        return bridge

    yield make
    for bridge in bridges:
        await bridge.stop()


@pytest.fixture
async def bridge(make_bridge):
    return await make_bridge()


class Call:
    """A started call: the Twilio side and the bridge's Realtime connection for it."""

    def __init__(self, twilio: FakeTwilio, rt):
        self.twilio = twilio
        self.rt = rt
        self.session_update: dict | None = None
        self.greeting: str | None = None  # the id of the greeting's response


async def start_call(
    bridge: Bridge, realtime: FakeRealtime, *, greeting_done: bool = True, **params
) -> Call:
    """A call whose session is confirmed and whose greeting was asked for (and, unless
    `greeting_done=False`, has finished: the server is free for what the test scripts)."""
    twilio = await FakeTwilio(
        bridge.url, key=STREAM_KEY, calls=bridge.runtime.crm.calls, **params
    ).open()
    call = Call(twilio, await realtime.next_connection())
    call.session_update = await call.rt.received.take("session.update")
    await call.rt.received.take("response.create")
    call.greeting = await call.rt.next_response()
    if greeting_done:
        await call.rt.finish()
    return call


@pytest.fixture
def call_factory(realtime):
    async def factory(bridge: Bridge, **params) -> Call:
        return await start_call(bridge, realtime, **params)

    return factory
