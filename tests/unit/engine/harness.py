"""The bridge's side of the Realtime protocol, for driving the offline engine in tests.

`Client` validates both directions: every event it sends as a GA client event (unknown fields
refused, as the server refuses them) and every event the engine sends as a server event.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json

from pitstop_local.engine.voice import Speech
from pitstop_local.realtime_contract import validate_client_event, validate_server_event
from pitstop_local.speech import codec
from pitstop_local.speech.tts import CALLER_VOICE, Synthesizer

INSTRUCTIONS = (
    "You are Robin, the AI assistant answering the phone for Pitstop Demo Garage, a car service "
    "centre.\n"
    "Shop: Pitstop Demo Garage. Address: 1200 Piston Avenue. Phone: +15551239000. Time zone: "
    "America/New_York.\n"
    "Today is Thursday, November 26, 2026.\n"
    "Services (typical price range): Oil change ($49-$89); Tire rotation ($25-$40); Brake service "
    "($150-$450).\n"
    "This is an inbound call from a known customer: Alex Morgan.\n"
)
TOOLS = [
    {
        "type": "function",
        "name": name,
        "description": name,
        "parameters": {"type": "object", "properties": {}},
    }
    for name in ("lookup_customer", "check_availability", "book_appointment", "end_call")
]
ALEX = {
    "ok": True,
    "found": True,
    "customer": {"customer_id": "cus_1", "name": "Alex Morgan"},
    "vehicles": [{"vehicle_id": "veh_1", "label": "2019 Toyota Camry"}],
    "next_appointment": None,
}
SLOTS = {
    "ok": True,
    "slots": [
        {
            "start": "2026-12-01T09:00:00-05:00",
            "end": "2026-12-01T09:30:00-05:00",
            "bay": "bay1",
            "spoken": "Tuesday, December 1 at 9:00 AM",
        }
    ],
}
TIMEOUT = 30

_caller = Synthesizer(**CALLER_VOICE)


@functools.cache
def shared_speech() -> Speech:
    """One Speech for the module: the TTS cache and the recognisers outlive each test's loop."""
    return Speech()


class Client:
    """The bridge's side of the protocol, validating both directions."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.received: list[dict] = []

    async def send(self, event: dict) -> None:
        validate_client_event(event)
        await self.ws.send(json.dumps(event))

    async def recv(self) -> dict:
        event = json.loads(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
        validate_server_event(event)  # every event the engine sends
        self.received.append(event)
        return event

    async def until(self, kind: str) -> dict:
        while True:
            event = await self.recv()
            if event["type"] == kind:
                return event

    async def response(self) -> list[dict]:
        """The next response's events, `response.created` … `response.done`."""
        events = []
        while True:
            events.append(await self.recv())
            if events[-1]["type"] == "response.done":
                starts = [i for i, e in enumerate(events) if e["type"] == "response.created"]
                return events[starts[-1] :] if starts else events

    async def configure(self) -> dict:
        await self.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "instructions": INSTRUCTIONS,
                    "tools": TOOLS,
                    "output_modalities": ["audio"],
                    "audio": {
                        "input": {
                            "format": {"type": "audio/pcmu"},
                            "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
                        },
                        "output": {"format": {"type": "audio/pcmu"}, "voice": "marin"},
                    },
                },
            }
        )
        return await self.until("session.updated")

    async def speak(self, text: str) -> None:
        audio = codec.silence_mulaw(300) + _caller.synthesize_mulaw(text) + codec.silence_mulaw(900)
        for frame in codec.frames(audio):
            await self.send(
                {"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()}
            )

    async def tool_output(self, call_id: str, output: dict) -> None:
        await self.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": call_id,
                    "output": json.dumps(output),
                },
            }
        )
        await self.send({"type": "response.create"})

    async def greeted(self) -> list[dict]:
        """Greeting flow: response.create → lookup_customer → output → spoken greeting."""
        await self.send({"type": "response.create"})
        call = function_calls(await self.response())[0]
        assert call["name"] == "lookup_customer"
        await self.tool_output(call["call_id"], ALEX)
        return await self.response()


def function_calls(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "response.function_call_arguments.done"]


def transcript(events: list[dict]) -> str:
    return " ".join(
        e["transcript"] for e in events if e["type"] == "response.output_audio_transcript.done"
    )


def audio(events: list[dict]) -> bytes:
    return b"".join(
        base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"
    )
