"""Builders for the server events the engine sends, shaped as `openai.types.realtime` defines.

Why builders: every event carries ids that must agree with each other (response_id, item_id,
output_index, content_index, call_id); building them in one place keeps a response internally
consistent, and the session validates every one before it goes on the wire.
"""

from __future__ import annotations

import itertools
import secrets
from typing import Any

_counter = itertools.count(1)


def new_id(prefix: str) -> str:
    """An OpenAI-looking id (`resp_…`, `item_…`, `call_…`, `event_…`), unique in the process."""
    return f"{prefix}_{secrets.token_hex(6)}{next(_counter):04d}"


def event(type_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, "event_id": new_id("event"), **fields}


def error(
    message: str,
    *,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An `error` event; `event_id` inside `error` names the client event that caused it.

    Every key is present, null when it does not apply, as the API sends them."""
    body = {"type": type_, "code": code, "message": message, "param": param, "event_id": event_id}
    return event("error", error=body)


def assistant_item(item_id: str, status: str, transcript: str | None = None) -> dict[str, Any]:
    content = [{"type": "output_audio", "transcript": transcript}] if transcript is not None else []
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str
) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    }


def user_audio_item(item_id: str, transcript: str | None) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": "completed",
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def response(
    response_id: str,
    status: str,
    output: list[dict],
    *,
    conversation_id: str,
    output_format: dict,
    voice: str,
    usage: dict | None = None,
    reason: str | None = None,
    details: dict | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        "conversation_id": conversation_id,
        "output": output,
        "output_modalities": ["audio"],
        "audio": {"output": {"format": output_format, "voice": voice}},
        "max_output_tokens": "inf",
        "metadata": None,
        "usage": usage,
        "status_details": None,
    }
    if details is not None:
        body["status_details"] = details
    elif status == "cancelled":
        body["status_details"] = {"type": "cancelled", "reason": reason or "client_cancelled"}
    elif status != "in_progress":
        body["status_details"] = {"type": status}
    return body


def usage(input_text: int, input_audio: int, output_text: int, output_audio: int) -> dict[str, Any]:
    """Token usage in the Realtime shape. Offline numbers are estimates (≈ what the model bills:
    ~4 chars/text token; audio ~10 tokens/s in, ~20 tokens/s out) so call-cost code is exercised."""
    total_in, total_out = input_text + input_audio, output_text + output_audio
    return {
        "total_tokens": total_in + total_out,
        "input_tokens": total_in,
        "output_tokens": total_out,
        "input_token_details": {
            "text_tokens": input_text,
            "audio_tokens": input_audio,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": output_text, "audio_tokens": output_audio},
    }
