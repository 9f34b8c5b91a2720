"""The offline engine over a real WebSocket on 127.0.0.1, driven as the media bridge drives it.

The caller's audio is eSpeak NG speech (the simulator's caller voice) in 20 ms μ-law frames,
sent as fast as the socket takes them. Every event the engine sends must validate against
`openai.types.realtime`; every event the test sends is validated as a client event first.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from websockets.asyncio.client import connect

from pitstop_local.engine.server import bound_port, serve_engine
from pitstop_local.speech import codec
from tests.unit.engine.harness import (
    ALEX,
    INSTRUCTIONS,
    SLOTS,
    Client,
    audio,
    function_calls,
    shared_speech,
    transcript,
)


@pytest.fixture
async def engine_url():
    server = await serve_engine("127.0.0.1", 0, speech=shared_speech())
    yield f"ws://127.0.0.1:{bound_port(server)}/v1/realtime?model=gpt-realtime"
    server.close()
    await server.wait_closed()


@pytest.fixture
async def paced_url():
    """An engine that streams audio in real time, so truncate/cancel land mid-sentence."""
    server = await serve_engine("127.0.0.1", 0, speech=shared_speech(), pace=1.0, chunk_ms=100)
    yield f"ws://127.0.0.1:{bound_port(server)}/v1/realtime"
    server.close()
    await server.wait_closed()


async def test_session_created_then_updated(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        created = await client.recv()
        assert created["type"] == "session.created" and created["session"]["type"] == "realtime"
        assert created["session"]["model"] == "gpt-realtime"
        updated = await client.configure()
        assert updated["session"]["audio"]["input"]["format"] == {"type": "audio/pcmu"}
        assert updated["session"]["instructions"] == INSTRUCTIONS


async def test_greeting_is_spoken_audio_with_matching_transcript(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.configure()
        events = await client.greeted()
        kinds = [e["type"] for e in events]
        assert kinds[0] == "response.created" and kinds[-1] == "response.done"
        assert kinds.index("response.output_item.added") < kinds.index(
            "response.output_audio.delta"
        )
        assert kinds.index("response.output_audio.done") < kinds.index("response.output_item.done")
        text = transcript(events)
        assert "offline test voice" in text and "Alex" in text and "help you" in text
        deltas = "".join(
            e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta"
        )
        assert deltas == text
        spoken = audio(events)
        assert len(spoken) > 8000 * 2  # seconds of 8 kHz μ-law speech
        assert max(codec.mulaw_to_pcm16(spoken)) != 0
        done = events[-1]["response"]
        assert done["status"] == "completed" and done["usage"]["output_tokens"] > 0
        assert (
            done["output"][0]["type"] == "message"
            and done["output"][0]["content"][0]["transcript"] == text
        )


async def test_utterance_is_detected_transcribed_and_turned_into_a_tool_call(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.greeted()
        await client.speak("I'd like to book an oil change on tuesday")
        started = await client.until("input_audio_buffer.speech_started")
        assert 0 <= started["audio_start_ms"] <= 400
        stopped = await client.until("input_audio_buffer.speech_stopped")
        assert (
            stopped["item_id"] == started["item_id"]
            and stopped["audio_end_ms"] > started["audio_start_ms"] + 1000
        )
        committed = await client.until("input_audio_buffer.committed")
        assert committed["item_id"] == started["item_id"]
        heard = await client.until("conversation.item.input_audio_transcription.completed")
        assert heard["item_id"] == started["item_id"]
        assert "oil change" in heard["transcript"] and "tuesday" in heard["transcript"]
        events = await client.response()
        call = function_calls(events)[-1]
        args = json.loads(call["arguments"])
        assert call["name"] == "check_availability"
        assert "oil" in args["service_type"].lower()
        assert (
            args["preferred_date"] == "2026-12-01"
        )  # the Tuesday after "today" in the instructions
        done = events[-1]["response"]
        assert done["output"][-1]["type"] == "function_call"
        assert (
            done["output"][-1]["call_id"] == call["call_id"]
            and done["output"][-1]["name"] == call["name"]
        )
        assert call["response_id"] == done["id"]

        await client.tool_output(call["call_id"], SLOTS)
        offer = await client.response()
        assert "Tuesday, December 1 at 9:00 AM" in transcript(
            offer
        ) and "Shall I book" in transcript(offer)
        assert audio(offer)


async def test_speech_times_count_from_the_session_start_across_a_buffer_clear(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.configure()
        for frame in codec.frames(codec.silence_mulaw(1000)):
            await client.send(
                {"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()}
            )
        await client.send({"type": "input_audio_buffer.clear"})
        await client.until("input_audio_buffer.cleared")
        await client.speak("yes that works")  # 300 ms of silence, then the words
        started = await client.until("input_audio_buffer.speech_started")
        stopped = await client.until("input_audio_buffer.speech_stopped")
        # audio_start_ms = voice start (~1300 ms) - prefix_padding_ms (300 ms)
        assert 900 <= started["audio_start_ms"] <= 1300
        assert stopped["audio_end_ms"] > 1300 + 500


async def test_truncate_stops_the_rest_of_the_item(paced_url):
    async with connect(paced_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.send({"type": "response.create"})
        call = function_calls(await client.response())[0]
        await client.tool_output(call["call_id"], ALEX)
        first = await client.until("response.output_audio.delta")
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": first["item_id"],
                "content_index": 0,
                "audio_end_ms": 50,
            }
        )
        rest = await client.response()
        truncated = next(e for e in rest if e["type"] == "conversation.item.truncated")
        assert truncated["item_id"] == first["item_id"] and truncated["audio_end_ms"] == 50
        after = rest[rest.index(truncated) + 1 :]
        assert not [e for e in after if e["type"] == "response.output_audio.delta"]
        item = next(e for e in rest if e["type"] == "response.output_item.done")["item"]
        assert item["status"] == "incomplete"
        assert len(audio([first, *rest])) < 8000 * 2  # far less than the whole greeting


async def test_truncate_of_unknown_item_is_an_error(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.send(
            {
                "type": "conversation.item.truncate",
                "item_id": "item_nope",
                "content_index": 0,
                "audio_end_ms": 10,
            }
        )
        error = await client.until("error")
        assert error["error"]["code"] == "item_not_found"


async def test_response_cancel_ends_the_response_cancelled(paced_url):
    async with connect(paced_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.send({"type": "response.create"})
        call = function_calls(await client.response())[0]
        await client.tool_output(call["call_id"], ALEX)
        await client.until("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        done = await client.until("response.done")
        assert done["response"]["status"] == "cancelled"
        assert done["response"]["status_details"]["reason"] == "client_cancelled"


async def test_caller_speech_interrupts_the_agent(paced_url):
    async with connect(paced_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.send({"type": "response.create"})
        call = function_calls(await client.response())[0]
        await client.tool_output(call["call_id"], ALEX)
        await client.until("response.output_audio.delta")
        await client.speak("Sorry, I need to move my appointment.")
        started = await client.until("input_audio_buffer.speech_started")
        done = await client.until("response.done")
        assert done["response"]["status"] == "cancelled"
        assert done["response"]["status_details"]["reason"] == "turn_detected"
        assert started["item_id"]


async def test_invalid_client_events_get_an_error_and_the_session_goes_on(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.recv()
        await ws.send(
            json.dumps({"type": "session.update", "session": {"type": "realtime", "tools": "nope"}})
        )
        error = await client.until("error")
        assert (
            error["error"]["code"] == "invalid_event"
            and "session.update" in error["error"]["message"]
        )
        await ws.send("{not json")
        assert (await client.until("error"))["error"]["code"] == "invalid_json"
        await ws.send(json.dumps({"type": "response.cancel"}))
        assert (await client.until("error"))["error"]["code"] == "response_cancel_not_active"
        await client.configure()  # still serving


async def test_dtmf_note_from_the_bridge_hands_off(engine_url):
    async with connect(engine_url) as ws:
        client = Client(ws)
        await client.configure()
        await client.greeted()
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
        await client.send({"type": "response.create"})
        call = function_calls(await client.response())[0]
        assert call["name"] == "request_operator_handoff"


def test_today_in_instructions_is_a_thursday():
    assert dt.date(2026, 11, 26).weekday() == 3
