"""A tool call through the real tools Lambda handler, served over HTTP, on moto DynamoDB."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest

from media_bridge import Bridge, BridgeOptions
from pitstop import config
from pitstop.dal import Crm
from pitstop.seed import DEMO_CALLER, seed
from pitstop_local.http import serve_lambdas
from tests.integration.bridge.conftest import FAST, STREAM_KEY
from tests.integration.bridge.fakes import FakeRealtime, FakeTelephony, FakeTwilio
from tests.integration.bridge.fakes import RealtimeEvents as E


@pytest.fixture
async def tools_stack(settings, monkeypatch):
    """The demo data, and the tools Lambda served over local HTTP (reading these settings)."""
    await asyncio.to_thread(seed, settings, date.today())
    monkeypatch.setattr(config, "get_settings", lambda: settings)
    server = serve_lambdas("127.0.0.1", 0)
    yield server
    server.stop()


async def output_of(conn, call_id: str) -> dict:
    event = await conn.received.take(
        lambda e: e["type"] == "conversation.item.create" and e["item"].get("call_id") == call_id,
        timeout=15,
    )
    return json.loads(event["item"]["output"])


async def test_tool_calls_run_through_the_tools_api_and_book(settings, tools_stack):
    realtime = await FakeRealtime().start()
    bridge_settings = settings.model_copy(
        update={"realtime_url": realtime.url, "tools_url": tools_stack.url + "/tools"}
    )
    bridge = await Bridge(
        bridge_settings,
        BridgeOptions(**{**FAST, "tool_timeout": 15.0}),
        telephony=FakeTelephony(),
        crm=Crm(bridge_settings),
        api_key=None,
        stream_key=lambda: STREAM_KEY,
    ).start("127.0.0.1", 0)
    try:
        twilio = await FakeTwilio(
            bridge.url,
            customer_number=DEMO_CALLER["phone"],
            key=STREAM_KEY,
            calls=bridge.runtime.crm.calls,
        ).open()
        conn = await realtime.next_connection()
        update = await conn.received.take("session.update", timeout=15)
        names = {t["name"] for t in update["session"]["tools"]}
        assert {
            "lookup_customer",
            "check_availability",
            "book_appointment",
            "request_operator_handoff",
            "end_call",
        } <= names  # the real definitions
        assert "Authorization" not in conn.headers  # no OpenAI key: nothing to send
        await conn.received.take("response.create")

        await conn.send(E.function_call_done("r1", "c1", "lookup_customer", {}))
        await conn.send(E.response_done("r1"))
        found = await output_of(conn, "c1")
        assert found["ok"] and found["found"] and found["customer"]["name"] == DEMO_CALLER["name"]
        await conn.received.take(
            lambda e: e["type"] == "response.create" and e is not conn.received.items[1]
        )

        day = date.today() + timedelta(days=7)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        await conn.send(
            E.function_call_done(
                "r2",
                "c2",
                "check_availability",
                {"service_type": "oil change", "preferred_date": day.isoformat()},
            )
        )
        await conn.send(E.response_done("r2"))
        slots = (await output_of(conn, "c2"))["slots"]
        assert slots, "the demo shop has free bays a week out"
        await conn.send(
            E.function_call_done(
                "r3",
                "c3",
                "book_appointment",
                {
                    "vehicle_id": DEMO_CALLER["vehicle_id"],
                    "service_type": "oil_change",
                    "start": slots[0]["start"],
                    "bay": slots[0]["bay"],
                },
            )
        )
        await conn.send(E.response_done("r3"))
        booked = await output_of(conn, "c3")
        assert booked["ok"], booked

        await twilio.stop()
        await twilio.wait_closed()
        crm = Crm(settings)
        record = await asyncio.to_thread(crm.calls.get, twilio.call_sid)
        assert record.outcome == "booked"
        tools = await asyncio.to_thread(crm.calls.tool_calls, twilio.call_sid)
        assert [t.name for t in tools] == [
            "lookup_customer",
            "check_availability",
            "book_appointment",
        ]
        assert all(t.ok and t.latency_ms > 0 for t in tools)
        assert not realtime.violations, realtime.violations
    finally:
        await bridge.stop()
        await realtime.stop()
