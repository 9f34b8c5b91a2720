"""The OpenAI Realtime (GA) side: the event builders and one WebSocket link.

Event shapes follow `openai.types.realtime` (the tests validate every event we send against
it). The audio append is built by concatenation: the Twilio payload is already checked to be
base64 and goes in verbatim.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect

from media_bridge.fastjson import dumps

AUDIO_DELTA = "response.output_audio.delta"
PCMU = {"type": "audio/pcmu"}

_APPEND_HEAD = '{"type":"input_audio_buffer.append","audio":"'
_APPEND_TAIL = '"}'


def append_audio(payload_b64: str) -> str:
    """`input_audio_buffer.append` as text; `payload_b64` must be checked base64."""
    return _APPEND_HEAD + payload_b64 + _APPEND_TAIL


def session_update(
    *, instructions: str, tools: list[dict], voice: str, language: str, transcription_model: str
) -> dict:
    """The whole session for a phone call: μ-law both ways, server VAD, input transcription."""
    transcription: dict[str, Any] = {"model": transcription_model}
    if language:
        transcription["language"] = language
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": instructions,
            "output_modalities": ["audio"],
            "audio": {
                "input": {
                    "format": PCMU,
                    "turn_detection": {
                        "type": "server_vad",
                        "create_response": True,
                        "interrupt_response": True,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 500,
                    },
                    "transcription": transcription,
                },
                "output": {"format": PCMU, "voice": voice},
            },
            "tools": tools,
            "tool_choice": "auto",
        },
    }


def response_create(instructions: str | None = None) -> dict:
    """Ask for a response; `instructions` override the session's for this one response only."""
    if instructions is None:
        return {"type": "response.create"}
    return {"type": "response.create", "response": {"instructions": instructions}}


def response_cancel() -> dict:
    return {"type": "response.cancel"}


def truncate(item_id: str, audio_end_ms: int) -> dict:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": int(audio_end_ms),
    }


def function_output(call_id: str, output: dict) -> dict:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": dumps(output)},
    }


def message(role: str, text: str) -> dict:
    """A text message item for the conversation (user input, assistant history, system hint)."""
    kind = "output_text" if role == "assistant" else "input_text"
    return {
        "type": "conversation.item.create",
        "item": {"type": "message", "role": role, "content": [{"type": kind, "text": text}]},
    }


def realtime_url(base: str, model: str) -> str:
    """`base` with `?model=` set (keeping any other query the operator configured)."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "model"] + [("model", model)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class RealtimeLink:
    """One Realtime WebSocket. A dropped link is replaced by a new `RealtimeLink` (see call.py)."""

    def __init__(self, url: str, api_key: str | None, *, max_size: int, open_timeout: float):
        self.url = url
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._max_size = max_size
        self._open_timeout = open_timeout
        self.ws: ClientConnection | None = None

    async def open(self) -> RealtimeLink:
        # No permessage-deflate: μ-law base64 barely compresses and deflate costs CPU per frame.
        self.ws = await connect(
            self.url,
            additional_headers=self._headers,
            compression=None,
            max_size=self._max_size,
            open_timeout=self._open_timeout,
            proxy=None,
            user_agent_header="pitstop-media-bridge",
        )
        return self

    async def send(self, event: dict) -> None:
        await self.ws.send(dumps(event))

    async def send_text(self, text: str) -> None:
        await self.ws.send(text)

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing a broken socket must not raise
                await self.ws.close()
