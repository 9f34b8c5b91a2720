"""The offline engine in strict mode refuses what OpenAI's GA server refuses, over a real socket.

Each rule is one the real server enforces (or one of its real behaviours) that a forgiving
stand-in would let a broken client get away with: one active response at a time, a cancelled
response active until its `response.done`, `function_call_arguments.done` for interrupted calls,
transcripts after the reply, failed responses, `rate_limits.updated`, session expiry, and
`unknown_parameter` for any field the API does not define.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from pitstop_local.engine.rules import EngineRules
from pitstop_local.engine.server import bound_port, serve_engine
from pitstop_local.realtime_contract import (
    UnknownParameter,
    unknown_parameters,
    validate_client_event,
)
from tests.unit.engine.harness import Client, shared_speech

STRICT = EngineRules(strict=True)
ACTIVE_MESSAGE = (
    "Conversation already has an active response in progress: {}. "
    "Wait until the response is finished before creating a new one."
)


@contextlib.asynccontextmanager
async def engine(rules: EngineRules = STRICT, **options):
    """An engine with `rules`, and a connected, configured client."""
    server = await serve_engine("127.0.0.1", 0, speech=shared_speech(), rules=rules, **options)
    try:
        async with connect(f"ws://127.0.0.1:{bound_port(server)}/v1/realtime") as ws:
            client = Client(ws)
            await client.configure()
            yield client
    finally:
        server.close()
        await server.wait_closed()


def paced(rules: EngineRules = STRICT):
    """Audio streamed in real time (in half-second deltas), so a cancel lands mid-sentence."""
    return engine(rules, pace=1.0, chunk_ms=500)


async def ask_for_a_person(client: Client, event_id: str = "evt_create_1") -> dict:
    """DTMF 0: one response that says a sentence and then calls `request_operator_handoff`."""
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "DTMF 0"}],
            },
        }
    )
    await client.send({"type": "response.create", "event_id": event_id})
    return await client.until("response.created")


async def test_response_create_while_one_is_active_gets_the_real_error():
    async with paced() as client:
        created = await ask_for_a_person(client)
        await client.send({"type": "response.create", "event_id": "evt_create_2"})
        error = await client.until("error")
        rid = created["response"]["id"]
        assert error["error"] == {
            "type": "invalid_request_error",
            "code": "conversation_already_has_active_response",
            "message": ACTIVE_MESSAGE.format(rid),
            "param": None,
            "event_id": "evt_create_2",
        }
        assert error["event_id"].startswith("event_")
        done = await client.until("response.done")
        assert done["response"]["id"] == rid and done["response"]["status"] == "completed"
        kinds = [e["type"] for e in client.received]
        assert kinds.count("response.created") == 1  # the rejected create made nothing


async def test_a_cancelled_response_stays_active_until_its_done():
    async with paced() as client:
        created = await ask_for_a_person(client)
        await client.until("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        await client.send({"type": "response.create", "event_id": "evt_too_soon"})
        error = await client.until("error")
        assert error["error"]["code"] == "conversation_already_has_active_response"
        assert error["error"]["event_id"] == "evt_too_soon"
        done = await client.until("response.done")
        assert done["response"]["id"] == created["response"]["id"]
        assert done["response"]["status"] == "cancelled"
        await client.send({"type": "response.create"})  # now it is finished: accepted
        again = await client.until("response.created")
        assert again["response"]["id"] != created["response"]["id"]


async def test_a_cancelled_response_still_ends_its_function_call_incomplete():
    async with paced() as client:
        await ask_for_a_person(client)
        await client.until("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        events = await client.response()
        [call] = [e for e in events if e["type"] == "response.function_call_arguments.done"]
        assert call["name"] == "request_operator_handoff"
        [item] = [
            e["item"]
            for e in events
            if e["type"] == "response.output_item.done" and e["item"]["type"] == "function_call"
        ]
        assert item["call_id"] == call["call_id"] and item["status"] == "incomplete"
        done = events[-1]["response"]
        assert done["status"] == "cancelled"
        assert done["output"][-1]["type"] == "function_call"
        assert done["output"][-1]["status"] == "incomplete"


async def test_the_transcript_of_every_nth_turn_arrives_after_its_reply():
    async with engine(EngineRules(strict=True, late_transcript_every=1)) as client:
        await client.greeted()
        await client.speak("I'd like to book an oil change on tuesday")
        committed = await client.until("input_audio_buffer.committed")
        done = await client.until("response.done")
        heard = await client.until("conversation.item.input_audio_transcription.completed")
        assert heard["item_id"] == committed["item_id"] and "oil change" in heard["transcript"]
        kinds = [e["type"] for e in client.received]
        assert kinds.index("response.created", kinds.index("input_audio_buffer.committed")) < (
            kinds.index("conversation.item.input_audio_transcription.completed")
        )
        assert done["response"]["status"] == "completed"


def test_strict_mode_makes_every_third_transcript_late_unless_told_otherwise(monkeypatch):
    assert EngineRules().late_every == 0 and not EngineRules().sends_rate_limits
    assert STRICT.late_every == 3 and STRICT.sends_rate_limits
    monkeypatch.setenv("PITSTOP_ENGINE_STRICT", "1")
    monkeypatch.setenv("PITSTOP_ENGINE_LATE_TRANSCRIPT_EVERY", "2")
    monkeypatch.setenv("PITSTOP_ENGINE_FAIL_RESPONSES", "[2, 5]")
    rules = EngineRules()
    assert rules.strict and rules.late_every == 2 and rules.fail_responses == {2, 5}


async def test_a_scripted_failure_ends_the_response_failed_and_the_next_one_works():
    async with engine(EngineRules(strict=True, fail_responses=frozenset({1}))) as client:
        await client.send({"type": "response.create"})
        failed = (await client.response())[-1]["response"]
        assert failed["status"] == "failed" and failed["output"] == []
        assert failed["status_details"]["type"] == "failed"
        assert failed["status_details"]["error"]["type"] == "server_error"
        await client.send({"type": "response.create"})  # asked again: the greeting starts
        events = await client.response()
        assert events[-1]["response"]["status"] == "completed"
        assert [e["name"] for e in events if e["type"].endswith("arguments.done")] == [
            "lookup_customer"
        ]


async def test_rate_limits_are_updated_at_the_start_of_each_response():
    async with engine() as client:
        await client.send({"type": "response.create"})
        events = await client.response()
        kinds = [e["type"] for e in events]
        assert kinds[:2] == ["response.created", "rate_limits.updated"]
        limits = {r["name"]: r for r in events[1]["rate_limits"]}
        assert set(limits) == {"requests", "tokens"} and limits["tokens"]["remaining"] > 0


async def test_the_session_expires_with_session_expired_then_the_server_closes():
    async with engine(EngineRules(strict=True, expire_after_s=0.3)) as client:
        error = await client.until("error")
        assert error["error"]["code"] == "session_expired"
        assert error["error"]["type"] == "invalid_request_error"
        assert error["error"]["message"].startswith("Your session hit the maximum duration")
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001


@pytest.mark.parametrize(
    ("session", "param"),
    [
        ({"type": "realtime", "foo": 1}, "session.foo"),
        (
            {
                "type": "realtime",
                "audio": {"input": {"format": {"type": "audio/pcmu", "rate": 8000}}},
            },
            "session.audio.input.format.rate",
        ),
        (
            {"type": "realtime", "tools": [{"type": "function", "name": "x", "strict": True}]},
            "session.tools[0].strict",
        ),
    ],
)
async def test_a_session_update_with_an_unknown_field_is_refused_as_ga_does(session, param):
    async with engine() as client:
        configured = len(client.received)
        await client.ws.send(
            json.dumps({"type": "session.update", "event_id": "evt_up", "session": session})
        )
        error = await client.until("error")
        assert error["error"] == {
            "type": "invalid_request_error",
            "code": "unknown_parameter",
            "message": f"Unknown parameter: '{param}'.",
            "param": param,
            "event_id": "evt_up",
        }
        await client.send({"type": "response.create"})  # the session goes on, unchanged
        created = await client.until("response.created")
        assert created["response"]["audio"]["output"]["format"] == {"type": "audio/pcmu"}
        assert "session.updated" not in [e["type"] for e in client.received[configured:]]


async def test_the_forgiving_engine_still_takes_what_strict_refuses():
    """`pitstop dev` without PITSTOP_ENGINE_STRICT: a client that does not obey yet still runs."""
    async with engine(EngineRules(), pace=1.0, chunk_ms=500) as client:
        await ask_for_a_person(client)
        await client.ws.send(json.dumps({"type": "response.create", "extra": True}))
        done = await client.until("response.done")
        assert done["response"]["status"] == "completed"
        assert "error" not in [e["type"] for e in client.received]


def test_the_contract_refuses_extra_fields_the_sdk_models_would_keep():
    event = {
        "type": "response.create",
        "response": {"instructions": "Say bye.", "modalities": ["audio"]},
    }
    with pytest.raises(UnknownParameter) as refused:
        validate_client_event(event)
    assert refused.value.param == "response.modalities"
    parsed = validate_client_event(event, strict=False)  # what the SDK alone accepts
    assert list(unknown_parameters(parsed)) == ["response.modalities"]
    assert validate_client_event({"type": "response.create", "response": {"instructions": "x"}})
