"""Twilio Media Streams messages: parse what Twilio sends, build what we send back.

μ-law audio passes through as base64 text: the inbound `media.payload` string becomes the
Realtime append's `audio` unchanged, and the Realtime delta becomes the outbound payload
unchanged. Nothing on the hot path decodes base64; we only check that a payload is made of
base64 characters, which is also what makes it safe to splice into JSON text without escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from media_bridge.fastjson import loads

# Base64 alphabet with optional padding; also guarantees no quote or backslash (JSON-safe).
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_SAFE_ID = re.compile(r"[A-Za-z0-9_\-.:]{1,128}")
DTMF_DIGITS = frozenset("0123456789*#ABCD")

is_base64 = _B64.fullmatch


class TwilioProtocolError(ValueError):
    """A frame that is not a Twilio Media Streams message we can act on."""


@dataclass(frozen=True, slots=True)
class StreamStart:
    """What Twilio's `start` message tells us about the call."""

    stream_sid: str
    call_sid: str
    parameters: dict[str, str] = field(default_factory=dict)
    media_format: dict = field(default_factory=dict)


def parse(text: str | bytes) -> dict:
    """Parse one frame into a message dict with an `event`; raise `TwilioProtocolError` if it is not one."""
    if not isinstance(text, str):
        raise TwilioProtocolError("binary frame")
    try:
        message = loads(text)
    except ValueError as error:
        raise TwilioProtocolError(f"not JSON: {error}") from None
    if type(message) is not dict or type(message.get("event")) is not str:
        raise TwilioProtocolError("no event")
    return message


def parse_start(message: dict) -> StreamStart:
    start = message.get("start")
    if type(start) is not dict:
        raise TwilioProtocolError("start without a start object")
    stream_sid = start.get("streamSid") or message.get("streamSid")
    call_sid = start.get("callSid")
    if not (isinstance(stream_sid, str) and _SAFE_ID.fullmatch(stream_sid)):
        raise TwilioProtocolError("bad streamSid")
    if not (isinstance(call_sid, str) and _SAFE_ID.fullmatch(call_sid)):
        raise TwilioProtocolError("bad callSid")
    raw = start.get("customParameters")
    raw = {} if raw is None else raw
    if type(raw) is not dict:
        raise TwilioProtocolError("customParameters is not an object")
    parameters = {str(k): v for k, v in raw.items() if isinstance(v, str)}
    media_format = start.get("mediaFormat") if type(start.get("mediaFormat")) is dict else {}
    return StreamStart(stream_sid, call_sid, parameters, media_format)


def media_payload(message: dict) -> str:
    """The base64 μ-law payload of a `media` message (validated, not decoded)."""
    media = message.get("media")
    payload = media.get("payload") if type(media) is dict else None
    if type(payload) is not str or not is_base64(payload):
        raise TwilioProtocolError("media without a base64 payload")
    return payload


def mark_name(message: dict) -> str:
    mark = message.get("mark")
    name = mark.get("name") if type(mark) is dict else None
    if type(name) is not str:
        raise TwilioProtocolError("mark without a name")
    return name


def dtmf_digit(message: dict) -> str:
    dtmf = message.get("dtmf")
    digit = dtmf.get("digit") if type(dtmf) is dict else None
    if digit not in DTMF_DIGITS:
        raise TwilioProtocolError("dtmf without a digit")
    return digit


def ulaw_bytes(payload_b64: str) -> int:
    """Bytes (= samples, = 1/8 ms at 8 kHz) in a base64 μ-law payload, without decoding it."""
    n = len(payload_b64)
    if n and payload_b64[-1] == "=":
        return n * 3 // 4 - (2 if payload_b64[-2] == "=" else 1)
    return n * 3 // 4


class TwilioOut:
    """Outbound messages for one stream, built as text by concatenation (no per-frame dumps)."""

    __slots__ = ("_mark_head", "_media_head", "clear")

    def __init__(self, stream_sid: str):
        if not _SAFE_ID.fullmatch(stream_sid):
            raise TwilioProtocolError("bad streamSid")
        self._media_head = '{"event":"media","streamSid":"' + stream_sid + '","media":{"payload":"'
        self._mark_head = '{"event":"mark","streamSid":"' + stream_sid + '","mark":{"name":"'
        self.clear = '{"event":"clear","streamSid":"' + stream_sid + '"}'

    def media(self, payload_b64: str) -> str:
        """`payload_b64` must already be checked with `is_base64` (it is spliced in verbatim)."""
        return self._media_head + payload_b64 + '"}}'

    def mark(self, name: str) -> str:
        """`name` is one of our own mark names (letters and digits)."""
        return self._mark_head + name + '"}}'
