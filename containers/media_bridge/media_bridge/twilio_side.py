"""Twilio Media Streams messages: parse what Twilio sends, build what we send back.

μ-law audio passes through as base64 text, as bytes: the inbound `media.payload` becomes the
Realtime append's `audio` unchanged, and the Realtime delta becomes the outbound payload
unchanged. Nothing on the hot path decodes base64; we only check that a payload is made of
base64 characters, which is also what makes it safe to splice into JSON text without escaping.

Twilio's media and mark messages are compact JSON that starts with their event
(`{"event":"media",...`): the hot path finds the one string it needs in the bytes
(`base64_after`, `string_after`: two byte searches and a check, in C), as a relay at the floor
does, and hands anything else (another layout, an escape, non-ASCII) to the full parse, which
reports what is wrong with it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from media_bridge.call_state import CallState
from media_bridge.fastjson import loads
from media_bridge.recording import NOT_RECORDING
from media_bridge.ws import ConnectionClosed, WebSocket

_SAFE_ID = re.compile(r"[A-Za-z0-9_\-.:]{1,128}")
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_PADDINGS = (b"=", b"==")
DTMF_DIGITS = frozenset("0123456789*#ABCD")
MEDIA_HEAD = b'{"event":"media"'  # how Twilio's media messages start (and marks, below)
MARK_HEAD = b'{"event":"mark"'
PAYLOAD_KEY = b'"payload":"'  # where a media message's payload starts (MEDIA_HEAD's message)
NAME_KEY = b'"name":"'  # and a mark's name
TAIL = b'"}}'  # what closes an outbound media or mark message after its string


def value_after(data: bytes, key: bytes) -> bytes | None:
    """The raw text, in compact JSON, of the string value after `key` (`b'"delta":"'`): up
    to the next quote, unchecked. None: the key is not there, or its string does not end."""
    at = data.find(key)
    if at < 0:
        return None
    at += len(key)
    end = data.find(b'"', at)
    return None if end < 0 else data[at:end]


def base64_after(data: bytes, key: bytes) -> bytes | None:
    """The base64 string value after `key`. Base64 has no quote and no backslash, so what
    this finds is safe to splice into JSON. None: not there, or not base64."""
    value = value_after(data, key)
    return value if value is not None and is_base64(value) else None


def string_after(data: bytes, key: bytes) -> bytes | None:
    """The string value after `key`, when it has no escape in it (else None)."""
    value = value_after(data, key)
    return None if value is None or b"\\" in value else value


def is_base64(payload: bytes) -> bool:
    """Base64: its alphabet, then at most two `=` of padding; safe to splice into JSON.

    One pass in C, a third of a regular expression's cost on a 20 ms frame: deleting the
    alphabet leaves nothing, or the padding that ends the payload."""
    rest = payload.translate(None, _ALPHABET)
    return not rest or (rest in _PADDINGS and payload.endswith(rest))


def ulaw_bytes(payload_b64: bytes) -> int:
    """Bytes (= samples, = 1/8 ms at 8 kHz) of checked base64 μ-law, without decoding it."""
    return len(payload_b64) * 3 // 4 - payload_b64.count(b"=", -2)  # less its padding


class TwilioProtocolError(ValueError):
    """A frame that is not a Twilio Media Streams message we can act on."""


@dataclass(frozen=True, slots=True)
class Connected:
    """Twilio's first message: the socket speaks Media Streams. Nothing to act on."""


@dataclass(frozen=True, slots=True)
class Start:
    """What Twilio's `start` message tells us about the call."""

    stream_sid: str
    call_sid: str
    parameters: dict[str, str] = field(default_factory=dict)
    media_format: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Media:
    """20 ms of the caller: base64 μ-law, checked to be base64, never decoded."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class Mark:
    """Twilio played everything sent before the mark of this name (UTF-8)."""

    name: bytes


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str


@dataclass(frozen=True, slots=True)
class Stop:
    """The stream has ended (the caller hung up, or the call was redirected)."""


TwilioMessage = Connected | Start | Media | Mark | Dtmf | Stop


def parse_message(frame: str | bytes) -> TwilioMessage:
    """One frame as a typed message; `TwilioProtocolError` says why it is not one we act on."""
    message = parse(frame)
    event = message["event"]
    parser = _PARSERS.get(event)
    if parser is None:
        raise TwilioProtocolError(f"unknown event {event[:40]}")
    return parser(message)


def parse(text: str | bytes) -> dict[str, Any]:
    """One frame as a message dict with an `event`; `TwilioProtocolError` if it is not one."""
    if not isinstance(text, str):
        raise TwilioProtocolError("binary frame")
    try:
        message = loads(text)
    except ValueError as error:
        raise TwilioProtocolError(f"not JSON: {error}") from None
    if type(message) is not dict or type(message.get("event")) is not str:
        raise TwilioProtocolError("no event")
    return message


def parse_start(message: dict[str, Any]) -> Start:
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
    media_format = start.get("mediaFormat")
    return Start(
        stream_sid, call_sid, parameters, media_format if type(media_format) is dict else {}
    )


def media_payload(message: dict[str, Any]) -> bytes:
    """The base64 μ-law payload of a `media` message (validated, not decoded)."""
    media = message.get("media")
    payload = media.get("payload") if type(media) is dict else None
    if type(payload) is not str or not is_base64(raw := payload.encode()):
        raise TwilioProtocolError("media without a base64 payload")
    return raw


def mark_name(message: dict[str, Any]) -> bytes:
    mark = message.get("mark")
    name = mark.get("name") if type(mark) is dict else None
    if type(name) is not str:
        raise TwilioProtocolError("mark without a name")
    return name.encode()


def dtmf_digit(message: dict[str, Any]) -> str:
    dtmf = message.get("dtmf")
    digit = dtmf.get("digit") if type(dtmf) is dict else None
    if type(digit) is not str or digit not in DTMF_DIGITS:
        raise TwilioProtocolError("dtmf without a digit")
    return digit


_PARSERS: dict[str, Callable[[dict[str, Any]], TwilioMessage]] = {
    "media": lambda message: Media(media_payload(message)),
    "mark": lambda message: Mark(mark_name(message)),
    "dtmf": lambda message: Dtmf(dtmf_digit(message)),
    "stop": lambda message: Stop(),
    "connected": lambda message: Connected(),
    "start": parse_start,
}


class TwilioOut:
    """Outbound messages for one stream, built as UTF-8 by concatenation (no per-frame dumps):
    agent audio is `media_head` + its base64 (checked with `is_base64`: spliced in verbatim) +
    `TAIL`, the mark after it `mark_head` + one of our own mark names + `TAIL`."""

    __slots__ = ("clear", "mark_head", "media_head")

    def __init__(self, stream_sid: str):
        if not _SAFE_ID.fullmatch(stream_sid):
            raise TwilioProtocolError("bad streamSid")
        sid = stream_sid.encode()
        self.media_head = b'{"event":"media","streamSid":"' + sid + b'","media":{"payload":"'
        self.mark_head = b'{"event":"mark","streamSid":"' + sid + b'","mark":{"name":"'
        self.clear = b'{"event":"clear","streamSid":"' + sid + b'"}'


class TwilioLeg:
    """The call's Twilio socket, outbound: agent audio each followed by its mark, and `clear`.

    Agent audio is written from the Realtime socket's frame callback (`play`: media and mark
    in one write, no await); a Twilio socket over its high-water mark stops that Realtime
    socket's reading until it drains. A socket Twilio has closed ends the call.
    """

    __slots__ = ("_ended", "_mark_head", "_media_head", "_playout", "_state", "_wire", "out", "ws")

    def __init__(self, ws: WebSocket, stream_sid: str, state: CallState, ended: asyncio.Event):
        self.ws = ws
        self._wire = ws.wire  # its per-frame writes, for `play`
        self.out = TwilioOut(stream_sid)
        self._media_head, self._mark_head = self.out.media_head, self.out.mark_head  # `play`'s
        self._state = state  # the call's recording (opened once the call is known)
        self._playout = state.playout  # what was sent, and when it was heard
        self._ended = ended

    def play(self, item_id: str, delta: bytes, source: WebSocket) -> None:
        """Send agent audio (`delta`: checked base64 μ-law) and the mark that says when it was
        heard, and record it; `source`, the socket the audio came from, waits while Twilio's
        is over its limit."""
        recording = self._state.recording
        if recording is not NOT_RECORDING:  # no call per frame when there is none
            recording.agent(delta)
        mark = self._playout.sent(item_id, ulaw_bytes(delta))
        media = self._media_head + delta + TAIL
        if not self._wire.write_pair(media, self._mark_head + mark + TAIL, source):
            self._ended.set()

    async def clear(self) -> None:
        """Drop the audio Twilio still holds: first, since every millisecond of it is heard.
        What it dropped was never heard: not recorded either."""
        await self.send(self.out.clear)
        self._state.recording.cleared()

    async def send(self, text: bytes) -> None:
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            self._ended.set()
