"""After-call fixtures: the handler pointed at a fresh moto table, its stream tailed from now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.after_call import handler
from pitstop.config import Settings, get_settings
from pitstop.dal import Crm
from pitstop.models import (
    CallDirection,
    CallRecord,
    CallStatus,
    ToolCallRecord,
    TranscriptTurn,
)
from pitstop_local.console import StreamTail

# The admin API over HTTP (the console's routes of issue 16), as the admin tests have it.
from tests.integration.admin.conftest import api, shop  # noqa: F401

# The webhook Lambda as Twilio posts to it (recordings of calls the bridge does not carry).
from tests.integration.webhook.conftest import seeded, twilio, webhook_settings  # noqa: F401

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
TOKEN = "tok_first"
USAGE = {
    "input_text": 12_000,
    "cached_text": 8_000,
    "input_audio": 30_000,
    "cached_audio": 10_000,
    "output_text": 1_500,
    "output_audio": 20_000,
    "responses": 9,
    "transcription_input_audio": 4_000,
    "transcription_output_text": 300,
}


@pytest.fixture
def after_call_settings(settings, monkeypatch) -> Settings:
    """The handler reads its table from the environment, as in AWS; no OpenAI key."""
    env = {
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "PITSTOP_SHOP_ID": settings.shop_id,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    handler._after_call.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
    handler._after_call.cache_clear()


@pytest.fixture
def tail(after_call_settings) -> StreamTail:
    """The table's stream from now on (moto's `dynamodbstreams`, as Lambda's poller reads it)."""
    return StreamTail(after_call_settings)


def bridged_call(crm: Crm, call_sid: str, *, tools: list[tuple[str, bool]]) -> None:
    """A call the webhook answered and the bridge claimed: turns and tool calls written."""
    record = CallRecord(
        call_sid=call_sid,
        direction=CallDirection.INBOUND,
        customer_number="+15551230001",
        shop_id=crm.settings.shop_id,
        status=CallStatus.RINGING,
        started_at=NOW,
        stream_token_id=TOKEN,
        stream_token_expires=int((NOW + timedelta(minutes=5)).timestamp()),
    )
    crm.calls.open_stream(record, NOW)
    assert crm.calls.claim_stream(call_sid, TOKEN, NOW) is not None
    crm.calls.add_turn(
        call_sid, 1, TranscriptTurn(role="caller", text="I need an oil change on Friday", at=NOW)
    )
    for seq, (name, ok) in enumerate(tools, start=1):
        crm.calls.add_tool_call(
            call_sid,
            seq,
            ToolCallRecord(
                name=name, arguments={}, result_summary="{}", ok=ok, latency_ms=80.0, at=NOW
            ),
        )


def bridge_finishes(crm: Crm, call_sid: str, outcome: str = "booked") -> None:
    """The bridge's last write for its stream (outcome, usage), as `recorder.py` makes it."""
    fields = {
        "outcome": outcome,
        "usage": USAGE,
        "ended_by_bridge": True,
        "ended_at": (NOW + timedelta(seconds=75)).isoformat(),
        "realtime_model": "gpt-realtime",
    }
    assert crm.calls.finish_stream(call_sid, TOKEN, fields)


def twilio_completes(crm: Crm, call_sid: str, seconds: int = 75) -> None:
    """Twilio's final status callback, as `/voice/status` applies it."""
    ended = (NOW + timedelta(seconds=seconds)).isoformat()
    crm.calls.update_status(
        call_sid, CallStatus.COMPLETED, {"duration_seconds": seconds, "ended_at": ended}
    )
