"""The simulated Twilio refuses stream messages real Twilio refuses, with Twilio's error codes.

Twilio accepts exactly `media` {event, streamSid, media.payload}, `mark` {event, streamSid,
mark.name} and `clear` {event, streamSid}; anything else is dropped with 31951 (31950 for a binary
frame). The simulator must make that a failure of the call, or a bridge that sends it passes.
"""

from __future__ import annotations

import base64
import json

import pytest

from pitstop_local.simulator.media_protocol import check_outbound
from pitstop_local.simulator.twilio_sim import TwilioSimulator
from tests.unit.simulator.fakes import TOKEN, TONE, FakeBridge, FakeWebhook, scenario

SID = "MZ0123456789abcdef0123456789abcdef"
PAYLOAD = base64.b64encode(b"\xff" * 160).decode()


@pytest.mark.parametrize(
    "message",
    [
        {"event": "media", "streamSid": SID, "media": {"payload": PAYLOAD}},
        {"event": "mark", "streamSid": SID, "mark": {"name": "item_1:3"}},
        {"event": "clear", "streamSid": SID},
    ],
)
def test_twilios_three_messages_are_accepted(message):
    assert check_outbound(json.dumps(message), SID) == (message, None)


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"event": "stop", "streamSid": SID}), "unsupported event 'stop'"),
        (json.dumps({"streamSid": SID, "media": {"payload": PAYLOAD}}), "unsupported event None"),
        (json.dumps({"event": "media", "media": {"payload": PAYLOAD}}), "missing streamSid"),
        (json.dumps({"event": "media", "streamSid": SID}), "missing media"),
        (json.dumps({"event": "media", "streamSid": SID, "media": {}}), "missing payload"),
        (
            json.dumps({"event": "media", "streamSid": SID, "media": {"payload": PAYLOAD}, "x": 1}),
            "unexpected x",
        ),
        (
            json.dumps(
                {
                    "event": "media",
                    "streamSid": SID,
                    "media": {"payload": PAYLOAD, "track": "outbound"},
                }
            ),
            "media.media: unexpected track",
        ),
        (
            json.dumps({"event": "media", "streamSid": SID, "media": {"payload": "not base64!"}}),
            "not base64",
        ),
        (json.dumps({"event": "mark", "streamSid": SID, "mark": {}}), "missing name"),
        (json.dumps({"event": "mark", "streamSid": SID, "mark": {"name": 3}}), "not a string"),
        (json.dumps({"event": "clear", "streamSid": SID, "clear": {}}), "unexpected clear"),
        (json.dumps({"event": "clear", "streamSid": "MZother"}), "not this stream's"),
        (
            json.dumps({"event": "clear", "streamSid": SID, "sequenceNumber": "4"}),
            "unexpected sequenceNumber",
        ),
    ],
)
def test_anything_else_is_31951(raw, detail):
    message, error = check_outbound(raw, SID)
    assert message is None and error is not None
    assert error.code == 31951 and detail in error.message


def test_a_binary_frame_is_31950():
    message, error = check_outbound(b'{"event": "clear"}', SID)
    assert message is None and error is not None and error.code == 31950


async def test_a_call_whose_bridge_breaks_the_protocol_fails_with_twilios_codes():
    """A bridge that sends audio with an extra field, a mark for another stream and a binary
    frame: none of it is played or echoed, and the call result says why, with the codes."""

    async def plan(bridge, ws, sid):
        head = TONE[:800]
        payload = base64.b64encode(head).decode()
        await ws.send(
            json.dumps(
                {
                    "event": "media",
                    "streamSid": sid,
                    "media": {"payload": payload, "track": "outbound"},
                }
            )
        )
        await ws.send(json.dumps({"event": "mark", "streamSid": "MZother", "mark": {"name": "m"}}))
        await ws.send(json.dumps({"event": "media", "streamSid": sid, "media": {}}))
        await ws.send(head)
        await bridge.send_audio(ws, sid, TONE, mark="good")  # valid: played and echoed

    async with FakeBridge(plan) as bridge:
        hook = FakeWebhook(bridge.url)
        try:
            sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token=TOKEN, speed=8)
            result = await sim.call(
                scenario([{"type": "wait_for_agent", "quiet_ms": 200}, {"type": "hangup"}])
            )
        finally:
            hook.close()
    assert [e.code for e in result.twilio_errors] == [31951, 31951, 31951, 31950]
    assert [f.split(":")[0] for f in result.failures] == ["Twilio 31951", "Twilio 31950"]
    assert "3 message(s) dropped" in result.failures[0]
    assert [name for _, name in bridge.acks()] == ["good"]  # the foreign mark was not echoed
    played = sum(
        result.agent_audio[i : i + 160] == TONE[:160]
        for i in range(0, len(result.agent_audio), 160)
    )
    assert 45 <= played <= 50  # the valid second of tone only, not the refused 100 ms before it
    assert any(e.kind == "twilio_error" for e in result.events)
    assert result.to_json()["twilio_errors"][0]["code"] == 31951
