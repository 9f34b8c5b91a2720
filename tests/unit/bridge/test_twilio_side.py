"""Twilio Media Streams parsing and the hot-path serializers."""

from __future__ import annotations

import base64
import json

import pytest

from media_bridge import twilio_side as tw


def test_outbound_messages_are_valid_json_with_the_payload_verbatim():
    out = tw.TwilioOut("MZabc123")
    payload = base64.b64encode(bytes(range(160)))
    media = out.media_head + payload + tw.TAIL
    mark = out.mark_head + b"m7" + tw.TAIL
    assert json.loads(media) == {
        "event": "media",
        "streamSid": "MZabc123",
        "media": {"payload": payload.decode()},
    }
    assert json.loads(mark) == {
        "event": "mark",
        "streamSid": "MZabc123",
        "mark": {"name": "m7"},
    }
    assert json.loads(out.clear) == {"event": "clear", "streamSid": "MZabc123"}


def test_a_stream_sid_that_could_break_the_json_is_refused():
    with pytest.raises(tw.TwilioProtocolError):
        tw.TwilioOut('MZ"}, "x": "')


@pytest.mark.parametrize("n", [0, 1, 2, 3, 159, 160, 161, 4800])
def test_ulaw_bytes_counts_without_decoding(n):
    payload = base64.b64encode(b"\x7f" * n)
    assert tw.ulaw_bytes(payload) == n


@pytest.mark.parametrize(
    "text", ['"quote"', "back\\slash", "spa ce", "Zm9v\n", "Zm=9v", "Zm9===", "Zé9v", "Zm9v\x00"]
)
def test_payloads_that_are_not_base64_are_rejected(text):
    assert not tw.is_base64(text.encode())
    frame = json.dumps({"event": "media", "media": {"payload": text}}, separators=(",", ":"))
    assert tw.base64_after(frame.encode(), tw.PAYLOAD_KEY) is None
    with pytest.raises(tw.TwilioProtocolError):
        tw.media_payload({"event": "media", "media": {"payload": text}})


@pytest.mark.parametrize("n", [0, 1, 2, 3, 160])
def test_base64_with_its_padding_is_accepted(n):
    assert tw.is_base64(base64.b64encode(bytes(range(n))))


@pytest.mark.parametrize(
    ("data", "find", "expected"),
    [
        (b'{"event":"mark","mark":{"name":"m12"}}', tw.string_after, b"m12"),
        (b'{"event":"media","media":{"payload":""}}', tw.base64_after, b""),
        (b'{"event":"media","media":{"payload":"AA=="}}', tw.base64_after, b"AA=="),
        (b'{"event":"media","media":{"payload": "AAAA"}}', tw.base64_after, None),  # not compact
        (b'{"event":"media","media":{"payload":"AAAA', tw.base64_after, None),  # cut short
        (b'{"event":"mark","mark":{"name":"a\\"b"}}', tw.string_after, None),  # an escape
        (b'{"event":"mark","mark":{"name":"m1', tw.string_after, None),  # cut short
        (b'{"event":"mark","mark":{"nom":"m1"}}', tw.string_after, None),  # not there
        (b'{"event":"media","media":{"payload":"AA=A"}}', tw.base64_after, None),  # = inside
    ],
)
def test_the_hot_path_finds_a_string_value_by_its_key_or_nothing(data, find, expected):
    key = tw.NAME_KEY if find is tw.string_after else tw.PAYLOAD_KEY
    assert find(data, key) == expected


@pytest.mark.parametrize(
    "frame", [b"\x00binary", "{bad json", "[]", '{"no": "event"}', '{"event": 3}']
)
def test_frames_that_are_not_messages_are_rejected(frame):
    with pytest.raises(tw.TwilioProtocolError):
        tw.parse(frame)


def test_start_gives_the_call_and_its_custom_parameters():
    start = tw.parse_start(
        tw.parse(
            json.dumps(
                {
                    "event": "start",
                    "streamSid": "MZ1",
                    "start": {
                        "streamSid": "MZ1",
                        "callSid": "CA1",
                        "customParameters": {"token": "t", "n": 3},
                        "mediaFormat": {
                            "encoding": "audio/x-mulaw",
                            "sampleRate": 8000,
                            "channels": 1,
                        },
                    },
                }
            )
        )
    )
    assert (start.stream_sid, start.call_sid) == ("MZ1", "CA1")
    assert start.parameters == {"token": "t"}  # non-string values are not parameters
    assert start.media_format["sampleRate"] == 8000


@pytest.mark.parametrize(
    "start",
    [
        {},
        {"callSid": "CA1"},
        {"streamSid": "MZ1"},
        {"streamSid": "MZ1", "callSid": "CA 1"},
        {"streamSid": "MZ1", "callSid": "CA1", "customParameters": []},
    ],
)
def test_a_broken_start_is_refused(start):
    with pytest.raises(tw.TwilioProtocolError):
        tw.parse_start({"event": "start", "start": start})


def test_marks_and_dtmf():
    assert tw.mark_name({"mark": {"name": "m3"}}) == b"m3"
    assert tw.dtmf_digit({"dtmf": {"digit": "#"}}) == "#"
    with pytest.raises(tw.TwilioProtocolError):
        tw.dtmf_digit({"dtmf": {"digit": "12"}})
    with pytest.raises(tw.TwilioProtocolError):
        tw.mark_name({"mark": {}})


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"event": "connected", "protocol": "Call", "version": "1.0.0"}, tw.Connected()),
        ({"event": "media", "media": {"payload": "AAEC", "chunk": "1"}}, tw.Media(b"AAEC")),
        ({"event": "mark", "mark": {"name": "m3"}}, tw.Mark(b"m3")),
        ({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": "0"}}, tw.Dtmf("0")),
        ({"event": "stop", "stop": {"callSid": "CA1"}}, tw.Stop()),
        (
            {"event": "start", "start": {"streamSid": "MZ1", "callSid": "CA1"}},
            tw.Start("MZ1", "CA1"),
        ),
    ],
)
def test_each_twilio_message_parses_into_its_typed_message(message, expected):
    assert tw.parse_message(json.dumps(message)) == expected


@pytest.mark.parametrize(
    "message",
    [
        {"event": "media", "media": {"payload": '"quote"'}},
        {"event": "mark"},
        {"event": "dtmf", "dtmf": {"digit": 1}},
        {"event": "transcription", "text": "a message kind we do not act on"},
    ],
)
def test_a_message_we_cannot_act_on_is_refused(message):
    with pytest.raises(tw.TwilioProtocolError):
        tw.parse_message(json.dumps(message))
