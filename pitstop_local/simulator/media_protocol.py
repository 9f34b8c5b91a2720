"""What Twilio accepts on a bidirectional Media Stream, checked as strictly as Twilio checks it.

Why: Twilio plays nothing for a message it does not accept. It drops it and reports a warning
to the account's debugger, once per stream (31951 "Stream - Protocol - Invalid Message": not
JSON, an unknown event, a missing or extra field, the wrong `streamSid`; 31950 "Malformed
Message": a binary frame). On a real call that is silence for the caller and a line in a
console nobody reads, so the simulator makes it a failure of the call instead.

The three messages a server may send (Twilio's Media Streams "WebSocket messages" reference):
`media` {event, streamSid, media: {payload}}, `mark` {event, streamSid, mark: {name}},
`clear` {event, streamSid}. Nothing else, and nothing more in them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["INVALID_MESSAGE", "MALFORMED_MESSAGE", "TwilioError", "check_outbound"]

INVALID_MESSAGE = 31951
MALFORMED_MESSAGE = 31950

#: event → (its top-level fields, the fields of its body object, if it has one)
_SHAPES: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {
    "media": (frozenset({"event", "streamSid", "media"}), frozenset({"payload"})),
    "mark": (frozenset({"event", "streamSid", "mark"}), frozenset({"name"})),
    "clear": (frozenset({"event", "streamSid"}), None),
}


@dataclass(frozen=True)
class TwilioError:
    """A debugger warning Twilio would raise for one message from the stream server."""

    code: int
    message: str
    ms: int = 0  # call time when it happened

    def __str__(self) -> str:
        return f"Twilio {self.code}: {self.message}"


def check_outbound(raw: str | bytes, stream_sid: str) -> tuple[dict | None, TwilioError | None]:
    """The message Twilio would act on, or the error it would report instead."""
    if isinstance(raw, bytes):
        return None, TwilioError(MALFORMED_MESSAGE, "binary WebSocket frame (send JSON text)")
    try:
        message = json.loads(raw)
    except ValueError:
        return None, _invalid(f"not JSON: {raw[:80]!r}")
    if not isinstance(message, dict):
        return None, _invalid("not a JSON object")
    problem = _shape_problem(message, stream_sid)
    return (None, _invalid(problem)) if problem else (message, None)


def _shape_problem(message: dict[str, Any], stream_sid: str) -> str | None:
    event = message.get("event")
    if not isinstance(event, str) or event not in _SHAPES:
        return f"unsupported event {event!r} (a stream server sends media, mark or clear)"
    fields, body_fields = _SHAPES[event]
    problem = _fields_problem(event, set(message), fields)
    if problem:
        return problem
    if message["streamSid"] != stream_sid:
        return f"{event}: streamSid {message['streamSid']!r} is not this stream's {stream_sid!r}"
    if body_fields is None:
        return None
    body = message[event]
    if not isinstance(body, dict):
        return f"{event}.{event} is not an object"
    problem = _fields_problem(f"{event}.{event}", set(body), body_fields)
    return problem or _value_problem(event, body)


def _fields_problem(where: str, present: set[str], expected: frozenset[str]) -> str | None:
    missing, extra = sorted(expected - present), sorted(present - expected)
    if missing:
        return f"{where}: missing {', '.join(missing)}"
    if extra:
        return f"{where}: unexpected {', '.join(extra)}"
    return None


def _value_problem(event: str, body: dict[str, Any]) -> str | None:
    if event == "mark":
        return None if isinstance(body["name"], str) else "mark.name is not a string"
    payload = body["payload"]
    if not isinstance(payload, str):
        return "media.payload is not a string"
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "media.payload is not base64"
    return None


def _invalid(detail: str) -> TwilioError:
    return TwilioError(INVALID_MESSAGE, f"invalid message: {detail}")
