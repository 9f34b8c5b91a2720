"""The live view's local stand-in: token checked at connect, call changes from the table's
DynamoDB Stream (moto) arrive as the same messages the fan-out Lambda posts."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from pitstop.models import CallDirection, CallRecord, CallStatus, TranscriptTurn
from pitstop_local.console import LiveServer
from tests.integration.admin.conftest import ADVISOR, now
from tests.integration.live.conftest import call_through_its_life

pytestmark = pytest.mark.asyncio


async def test_connect_needs_a_valid_token(crm):
    live = await LiveServer(crm.settings).start("127.0.0.1", 0)
    try:
        for url in (live.url, live.url + "?token=forged"):
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(url)
            assert refused.value.response.status_code == 401
    finally:
        await live.stop()


async def test_call_record_and_transcript_changes_reach_the_browser(crm):
    live = await LiveServer(crm.settings).start("127.0.0.1", 0)
    try:
        async with websockets.connect(f"{live.url}?token={ADVISOR}") as browser:
            record = CallRecord(
                call_sid="CAlive",
                direction=CallDirection.INBOUND,
                customer_number="+15551230001",
                status=CallStatus.IN_PROGRESS,
                started_at=now(),
            )
            await asyncio.to_thread(crm.calls.start, record, now())
            turn = TranscriptTurn(role="agent", text="Thanks for calling", at=now())
            await asyncio.to_thread(crm.calls.add_turn, "CAlive", 1, turn)
            async with asyncio.timeout(10):
                first = json.loads(await browser.recv())
                second = json.loads(await browser.recv())
    finally:
        await live.stop()
    assert first["type"] == "call" and first["call"]["call_sid"] == "CAlive"
    assert first["call"]["status"] == "in-progress"
    assert second == {
        "type": "turn",
        "call_sid": "CAlive",
        "seq": 1,
        "role": "agent",
        "text": "Thanks for calling",
        "at": turn.at.isoformat(),
    }


async def test_the_local_live_card_moves_from_ringing_to_in_progress_to_ended(crm):
    live = await LiveServer(crm.settings).start("127.0.0.1", 0)
    try:
        async with websockets.connect(f"{live.url}?token={ADVISOR}") as browser:
            await asyncio.to_thread(call_through_its_life, crm, "CAlocal")
            async with asyncio.timeout(10):
                cards = [json.loads(await browser.recv())["call"] for _ in range(4)]
    finally:
        await live.stop()
    assert [(c["status"], c.get("outcome")) for c in cards] == [
        ("ringing", None),
        ("in-progress", None),
        ("in-progress", "booked"),
        ("completed", "booked"),
    ]
