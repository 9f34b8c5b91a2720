"""The benchmark's frame numbering and field finder: what its round trips and barge-ins rest on."""

from __future__ import annotations

import base64
import json

from tests.bench.frames import FRAME_BYTES, FRAME_TAIL, Field, frame_head, frame_id, is_speech


def test_a_frame_is_160_bytes_of_mulaw_that_say_which_call_and_frame_they_are():
    for call, seq, speech in [(0, 0, False), (499, 12345, True), (2**32 - 1, 7, False)]:
        payload = frame_head(call, seq, speech) + FRAME_TAIL
        assert len(base64.b64decode(payload)) == FRAME_BYTES
        assert frame_id(payload) == (call, seq, speech)
        assert is_speech(payload) is speech


def test_field_reads_a_value_whatever_the_key_order_or_spacing():
    message = {"media": {"payload": "QUJD+/=="}, "event": "media", "streamSid": "MZ1"}
    payload = Field("payload")
    for text in (json.dumps(message), json.dumps(message, separators=(",", ":"))):
        data = text.encode()
        assert payload(data) == b"QUJD+/=="
        assert Field("event")(data) == b"media"
        assert Field("name")(data) is None
