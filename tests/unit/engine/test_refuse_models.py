"""A scripted model refusal: the engine turns a connection for a listed model away as the API
turns away a model that does not exist or the key cannot use, and serves every other model."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pitstop_local.engine.rules import EngineRules
from pitstop_local.engine.server import bound_port, serve_engine
from pitstop_local.realtime_contract import validate_server_event
from tests.unit.engine.harness import shared_speech

RULES = EngineRules(strict=True, refuse_models=frozenset({"gpt-realtime"}))


async def _first_event_and_close(port: int, model: str) -> tuple[dict, int | None, str | None]:
    async with connect(f"ws://127.0.0.1:{port}/v1/realtime?model={model}") as ws:
        first = json.loads(await ws.recv())
        validate_server_event(first)
        if model not in RULES.refuse_models:
            return first, None, None
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        return first, ws.close_code, ws.close_reason


async def test_a_refused_model_gets_model_not_found_then_the_socket_closes():
    server = await serve_engine("127.0.0.1", 0, speech=shared_speech(), rules=RULES)
    try:
        refused, code, reason = await _first_event_and_close(bound_port(server), "gpt-realtime")
        served, _, _ = await _first_event_and_close(bound_port(server), "gpt-realtime-mini")
    finally:
        server.close()
        await server.wait_closed()
    assert refused["type"] == "error"
    assert refused["error"]["type"] == "invalid_request_error"
    assert refused["error"]["code"] == "model_not_found"
    assert "`gpt-realtime` does not exist" in refused["error"]["message"]
    assert (code, reason) == (4000, "invalid_request_error.model_not_found")
    assert served["type"] == "session.created"
    assert served["session"]["model"] == "gpt-realtime-mini"


def test_refused_models_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PITSTOP_ENGINE_REFUSE_MODELS", '["gpt-realtime"]')
    assert EngineRules().refuse_models == {"gpt-realtime"}
