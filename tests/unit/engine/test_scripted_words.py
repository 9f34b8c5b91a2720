"""The engine's scripted sentence (`EngineRules.say`) and its transcript running ahead of the
audio, as the real server's does: what the bridge's guardrail is tested against."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect

from pitstop_local.engine.responses import TRANSCRIPT_LEAD_MS
from pitstop_local.engine.rules import EngineRules
from pitstop_local.engine.server import bound_port, serve_engine
from tests.unit.engine.harness import Client, function_calls, shared_speech, transcript

SENTENCE = "Your car is guaranteed to pass inspection."
CHUNK_MS = 160


@contextlib.asynccontextmanager
async def engine(rules: EngineRules) -> AsyncIterator[Client]:
    server = await serve_engine(
        "127.0.0.1", 0, speech=shared_speech(), rules=rules, chunk_ms=CHUNK_MS
    )
    try:
        async with connect(f"ws://127.0.0.1:{bound_port(server)}/v1/realtime") as ws:
            client = Client(ws)
            await client.configure()
            yield client
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.asyncio
async def test_the_scripted_sentence_replaces_the_words_and_keeps_the_tool_calls():
    async with engine(EngineRules(strict=True, say={1: SENTENCE})) as client:
        await client.send({"type": "response.create"})
        events = await client.response()
    assert transcript(events) == SENTENCE
    assert [c["name"] for c in function_calls(events)] == ["lookup_customer"]


def test_the_scripted_sentence_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PITSTOP_ENGINE_SAY", f'{{"2": "{SENTENCE}"}}')
    assert EngineRules().say == {2: SENTENCE}


@pytest.mark.asyncio
async def test_the_transcript_is_out_while_a_second_of_its_audio_is_still_to_come():
    async with engine(EngineRules(strict=True, say={1: SENTENCE})) as client:
        await client.send({"type": "response.create"})
        events = await client.response()
    deltas = [e for e in events if e["type"].startswith("response.output_audio")]
    kinds = [e["type"] for e in deltas]
    last_words = max(i for i, k in enumerate(kinds) if k.endswith("transcript.delta"))
    audio_after = sum(1 for k in kinds[last_words:] if k == "response.output_audio.delta")
    assert kinds[0] == "response.output_audio_transcript.delta"
    assert audio_after * CHUNK_MS >= TRANSCRIPT_LEAD_MS - CHUNK_MS
