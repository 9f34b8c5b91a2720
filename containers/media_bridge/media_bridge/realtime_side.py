"""The OpenAI Realtime (GA) side: the event builders and one WebSocket link.

Event shapes follow `openai.types.realtime` (the tests validate every event we send against
it). The audio append is built by concatenation, as bytes: the Twilio payload is already checked
to be base64 and goes in verbatim.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from media_bridge import ws as websocket
from media_bridge.fastjson import dumps

Event = dict[str, Any]  # a client event, as `openai.types.realtime` defines it

AUDIO_DELTA = "response.output_audio.delta"
# How the server's audio deltas start (compact JSON, `type` first): the hot path's test.
AUDIO_DELTA_HEAD = b'{"type":"response.output_audio.delta"'
PCMU = {"type": "audio/pcmu"}

# `input_audio_buffer.append` as UTF-8 is APPEND_HEAD + checked base64 + APPEND_TAIL.
APPEND_HEAD = b'{"type":"input_audio_buffer.append","audio":"'
APPEND_TAIL = b'"}'


def session_update(
    *,
    instructions: str,
    tools: list[dict[str, Any]],
    voice: str,
    language: str,
    transcription_model: str,
    audio: dict[str, Any],
    max_output_tokens: int | Literal["inf"] = "inf",
) -> Event:
    """The whole session for a phone call: μ-law both ways, input transcription, and the
    shop's `audio` settings (`AgentSettings.session_audio()`: turn detection, noise reduction,
    output speed) merged in, exactly as they were validated. `max_output_tokens` caps each
    response (`AgentSettings.max_output_tokens_per_response`; "inf" is the API's default)."""
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
                    **audio.get("input", {}),
                    "format": PCMU,
                    "transcription": transcription,
                },
                "output": {**audio.get("output", {}), "format": PCMU, "voice": voice},
            },
            "tools": tools,
            "tool_choice": "auto",
            "max_output_tokens": max_output_tokens,
        },
    }


def response_create(instructions: str | None = None, *, event_id: str | None = None) -> Event:
    """Ask for a response; `instructions` replace the session's for this one response only.

    The `event_id` comes back in an `error` that this create caused (see response_gate.py).
    """
    event: Event = {"type": "response.create"}
    if event_id is not None:
        event["event_id"] = event_id
    if instructions is not None:
        event["response"] = {"instructions": instructions}
    return event


def minimal_session(full: Event) -> Event:
    """The least a phone call needs of `full`: μ-law both ways, server VAD, its instructions
    and tools. Sent once when the server rejected or only partly applied the full update."""
    session = full["session"]
    return {
        "type": "session.update",
        "session": {
            "type": "realtime",
            "instructions": session["instructions"],
            "audio": {
                "input": {"format": PCMU, "turn_detection": {"type": "server_vad"}},
                "output": {"format": PCMU},
            },
            "tools": session["tools"],
        },
    }


def response_cancel() -> Event:
    return {"type": "response.cancel"}


def truncate(item_id: str, audio_end_ms: int) -> Event:
    return {
        "type": "conversation.item.truncate",
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": int(audio_end_ms),
    }


def function_output(call_id: str, output: dict[str, Any]) -> Event:
    return {
        "type": "conversation.item.create",
        "item": {"type": "function_call_output", "call_id": call_id, "output": dumps(output)},
    }


def message(role: str, text: str) -> Event:
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


def model_of(url: str) -> str | None:
    """The `?model=` a Realtime URL opens (what `realtime_url` set)."""
    return dict(parse_qsl(urlsplit(url).query)).get("model")


class RealtimeLink:
    """One open Realtime WebSocket. A dropped link is replaced by a new one (see upstream.py)."""

    __slots__ = ("ws",)

    def __init__(self, ws: websocket.WebSocket):
        self.ws = ws

    @classmethod
    async def open(
        cls, url: str, api_key: str | None, *, max_size: int, open_timeout: float
    ) -> RealtimeLink:
        # No permessage-deflate (picows offers none): μ-law base64 barely compresses anyway.
        headers = {"User-Agent": "pitstop-media-bridge"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        ws = await websocket.connect(url, headers, max_size=max_size, open_timeout=open_timeout)
        return cls(ws)

    async def send(self, event: Event) -> None:
        await self.ws.send(dumps(event))

    def abort(self) -> None:
        """Drop a link that is open but dead: no closing handshake to wait for."""
        self.ws.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken socket must not raise
            await self.ws.close()
