"""The benchmark's wire helpers: numbered μ-law frames and a field finder for JSON text.

Each 160-byte μ-law frame starts with 9 bytes that say which call, which frame and "barge in
now"; 9 bytes are exactly 12 base64 characters, so the head is encoded per frame and the rest of
the frame's base64 is computed once. Whoever echoes the audio back (the Realtime stand-in, the
relay under test) passes the base64 through untouched, so its first 12 characters identify the
frame that came back without decoding anything.

`Field` finds a string value in JSON text by its key without parsing the message: the load
generator and the stand-in read what the relay under test wrote, whatever its key order or
spacing, at a fraction of a parse's cost (so they stay cheap next to what they measure).
"""

from __future__ import annotations

import base64
import struct

FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
TICK = 0.020
HEAD_CHARS = 12  # base64 of the 9-byte head
_HEAD = struct.Struct(">IIB")
FRAME_TAIL = base64.b64encode(b"\xff" * (FRAME_BYTES - _HEAD.size))  # the same in every frame


def frame_head(call: int, seq: int, speech: bool = False) -> bytes:
    """The base64 head of frame `seq` of call `call` (`FRAME_TAIL` follows it); `speech` asks
    the stand-in to report caller speech."""
    return base64.b64encode(_HEAD.pack(call, seq, speech))


def frame_id(payload: bytes | str) -> tuple[int, int, bool]:
    """(call, seq, speech) of a frame made by `frame`."""
    call, seq, speech = _HEAD.unpack(base64.b64decode(payload[:HEAD_CHARS]))
    return call, seq, bool(speech)


def is_speech(payload: bytes) -> bool:
    """The "speech" flag without decoding: the 12th base64 character is the flag byte's low
    six bits ("A" for 0)."""
    return payload[HEAD_CHARS - 1 : HEAD_CHARS] != b"A"


class Field:
    """Finds the string value of `"key"` in JSON text (values without escapes: ids, base64)."""

    __slots__ = ("_needle", "_size")

    def __init__(self, key: str):
        self._needle = b'"' + key.encode() + b'"'
        self._size = len(self._needle)

    def __call__(self, data: bytes, start: int = 0) -> bytes | None:
        at = data.find(self._needle, start)
        if at < 0:
            return None
        at += self._size
        if data[at : at + 2] == b':"':  # compact JSON
            at += 2
        else:
            at = data.index(b'"', data.index(b":", at)) + 1
        return data[at : data.index(b'"', at)]
