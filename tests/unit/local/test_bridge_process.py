"""The local stack's bridge process (`pitstop_local.bridge_process`): a real `python -m
media_bridge` child against moto over HTTP — it reports its ephemeral port, beats under its own
pid in the table it was pointed at, drains on SIGTERM, logs to its file, and an early death is a
clear error carrying its stderr, not a hang."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import httpx
import pytest

from pitstop.dal import Crm
from pitstop.dal.heartbeats import fleet_key
from pitstop_local.bridge_process import BridgeFailed, BridgeProcess

pytestmark = pytest.mark.asyncio


def _env(settings) -> dict[str, str]:
    return {
        **os.environ,
        "PITSTOP_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_SHOP_ID": settings.shop_id,
        "PITSTOP_TOOLS_AUTH": "token",
        "PITSTOP_TELEPHONY": "outbox",
        "PYTHONUNBUFFERED": "1",
    }


async def test_the_bridge_reports_its_port_beats_and_drains_on_stop(settings, tmp_path):
    log = tmp_path / "bridge.log"
    bridge = await BridgeProcess("127.0.0.1", 0, _env(settings), log).start()
    try:
        assert bridge.port > 0 and bridge.url == f"ws://127.0.0.1:{bridge.port}/media-stream"
        health = f"http://127.0.0.1:{bridge.port}/health"
        async with httpx.AsyncClient() as http:
            assert (await http.get(health, timeout=5)).status_code == 200
        assert Crm(settings).heartbeats.alive(datetime.now(UTC)) is True
        beat = Crm(settings).table.get_item(Key=fleet_key(settings.shop_id))["Item"]
        assert beat["task_id"] == bridge.task_id  # the child's own pid
    finally:
        await bridge.stop()
    text = log.read_text(encoding="utf-8")
    assert "media bridge on ws://" in text and "draining" in text


async def test_a_bridge_that_dies_at_start_is_an_error_with_its_stderr(settings, tmp_path):
    env = {**_env(settings), "PITSTOP_BRIDGE_MAX_STREAMS": "not-a-number"}
    log = tmp_path / "bridge.log"
    with pytest.raises(BridgeFailed) as failed:
        await BridgeProcess("127.0.0.1", 0, env, log).start()
    message = str(failed.value)
    assert "exited with status 1" in message
    assert "max_streams" in message and str(log) in message  # the cause, and the whole log
    assert "max_streams" in log.read_text(encoding="utf-8")
