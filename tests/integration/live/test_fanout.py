"""The fan-out: real stream records of the table (moto's DynamoDB Streams over HTTP) become the
live messages, posted to every open connection of the shop; a gone connection is forgotten."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from functions.live import fanout
from pitstop.dal import Crm
from pitstop.dal.connections import ConnectionRepository
from pitstop.models import CallDirection, CallRecord, CallStatus, TranscriptTurn
from pitstop_local.console import StreamTail
from tests.integration.live.conftest import call_through_its_life, context


def _now() -> datetime:
    return datetime.now(UTC)


def _call_records(crm: Crm) -> list[dict]:
    """Stream records of a call starting and its first transcript line, as Lambda receives them."""
    tail = StreamTail(crm.settings)
    record = CallRecord(
        call_sid="CAfan",
        direction=CallDirection.INBOUND,
        customer_number="+15551230001",
        status=CallStatus.IN_PROGRESS,
        started_at=_now(),
    )
    crm.calls.start(record, _now())
    crm.calls.add_turn("CAfan", 1, TranscriptTurn(role="caller", text="Hi there", at=_now()))
    ConnectionRepository(crm.table, "demo").add("not-a-call-item", "x", _now())
    records = tail.poll()
    assert len(records) == 3
    return records


def test_call_changes_reach_every_open_connection_and_gone_ones_are_forgotten(live_env, crm):
    connections = ConnectionRepository(crm.table, crm.settings.shop_id)
    records = _call_records(crm)
    connections.remove("not-a-call-item")
    for connection_id in ("open-1", "open-2", "gone-3"):
        connections.add(connection_id, "adam@shop.test", _now())
    live_env["connections"].open |= {"open-1", "open-2"}

    result = fanout.lambda_handler({"Records": records}, context("live-fanout"))

    assert result == {"messages": 2, "delivered": 2}
    received = live_env["connections"].received
    assert set(received) == {"open-1", "open-2"}
    assert received["open-1"] == received["open-2"]
    first, second = received["open-1"]
    assert b'"type": "call"' in first and b'"call_sid": "CAfan"' in first
    assert second.startswith(b'{"type": "turn", "call_sid": "CAfan", "seq": 1, "role": "caller"')
    assert sorted(connections.ids(_now())) == ["open-1", "open-2"]


def test_a_batch_without_call_items_posts_nothing(live_env, crm):
    connections = ConnectionRepository(crm.table, crm.settings.shop_id)
    tail = StreamTail(crm.settings)
    connections.add("open-1", "adam@shop.test", _now())
    live_env["connections"].open.add("open-1")
    records = tail.poll()
    assert len(records) == 1  # the connection item itself
    assert fanout.lambda_handler({"Records": records}, context("live-fanout")) == {
        "messages": 0,
        "delivered": 0,
    }
    assert live_env["connections"].received == {}


def test_the_live_card_follows_the_call_from_ringing_to_ended_with_its_outcome(live_env, crm):
    tail = StreamTail(crm.settings)
    call_through_its_life(crm, "CAlife")
    ConnectionRepository(crm.table, crm.settings.shop_id).add("open-1", "adam@shop.test", _now())
    live_env["connections"].open.add("open-1")

    fanout.lambda_handler({"Records": tail.poll()}, context("live-fanout"))

    cards = [json.loads(m)["call"] for m in live_env["connections"].received["open-1"]]
    assert [(c["status"], c.get("outcome")) for c in cards] == [
        ("ringing", None),
        ("in-progress", None),
        ("in-progress", "booked"),
        ("completed", "booked"),
    ]
