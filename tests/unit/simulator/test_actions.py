"""The simulator follows `action` URLs as Twilio does, observed from a fake webhook.

Each test fails if the simulator stops where Twilio would carry on: a `<Connect action>` after
the stream is closed by the far end, a `<Dial action>` with Twilio's dial parameters, the
`<Number url>` whisper fetched for the dialled leg, a `<Record action>` with the recording.
"""

from __future__ import annotations

import asyncio
import json
import socket

from pitstop import twiml
from pitstop_local.simulator.twilio_sim import TwilioSimulator
from tests.unit.simulator.fakes import TOKEN, TONE, FakeBridge, FakeWebhook, scenario

PERSON = "+15005550011"


async def _close_after_audio(bridge, ws, sid):
    """The bridge "crashes": one burst of audio, then the socket is closed from its side."""
    await bridge.send_audio(ws, sid, TONE[:1600])
    await ws.close()


def _dial(hook: FakeWebhook, ring: int = 5) -> str:
    hook.routes.setdefault("/voice/dial-ended", twiml.empty_twiml())
    return twiml.dial_twiml(
        PERSON, hook.url("/voice/dial-ended"), hook.url("/voice/whisper?call=x"), ring, "Hold on."
    )


async def _call(hook: FakeWebhook, steps, speed: float = 20, **fields):
    sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token=TOKEN, speed=speed)
    return await sim.call(scenario(steps).model_copy(update=fields))


async def test_stream_closed_by_the_bridge_posts_the_connect_action_then_dials_with_whisper():
    async with FakeBridge(_close_after_audio) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = twiml.stream_twiml(bridge.url, {"token": "t"}, None, "/voice/stream-ended")
        hook.routes["/voice/stream-ended"] = _dial(hook)
        hook.routes["/voice/whisper"] = twiml.say_twiml("Call for you from Alex Morgan.")
        try:
            result = await _call(hook, [{"type": "pause", "ms": 30_000}], shop_talk_ms=4000)
        finally:
            hook.close()
    paths = [r["path"] for r in hook.requests]
    assert paths == [
        "/voice",
        "/voice/stream-ended",
        "/voice/whisper?call=x",
        "/voice/dial-ended",
        "/voice/status",
    ]
    assert all(r["valid"] for r in hook.requests)
    ended, whisper, dialled = hook.requests[1]["form"], hook.requests[2]["form"], hook.requests[3]
    assert ended["CallSid"] == result.call_sid and ended["CallStatus"] == "in-progress"
    # the whisper is requested for the dialled leg, child of the caller's call
    assert whisper["ParentCallSid"] == result.call_sid and whisper["To"] == PERSON
    assert whisper["CallSid"] != result.call_sid and whisper["Direction"] == "outbound-dial"
    form = dialled["form"]
    assert form["DialCallStatus"] == "completed" and form["DialCallDuration"] == "4"
    assert form["DialCallSid"] == whisper["CallSid"] and form["DialBridged"] == "true"
    assert result.whispers == ["Call for you from Alex Morgan."]
    assert result.dialled == PERSON and result.dial_statuses == ["completed"]
    assert result.ended_by == "twiml_end"
    # the pause was cut short by the crash; the call then lasted ringing + whisper + talk
    assert result.duration_ms >= 8000


async def test_busy_line_posts_busy_without_whisper_then_a_recorded_message():
    async with FakeBridge(_close_after_audio) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = _dial(hook)
        hook.routes["/voice/dial-ended"] = twiml.record_message_twiml(
            "Leave a message.", hook.url("/voice/message-recorded")
        )
        hook.routes["/voice/message-recorded"] = twiml.voicemail_twiml("Thanks, goodbye.")
        try:
            result = await _call(hook, [], shop_line="busy", message="Please call me back")
        finally:
            hook.close()
    paths = [r["path"] for r in hook.requests]
    assert paths == ["/voice", "/voice/dial-ended", "/voice/message-recorded", "/voice/status"]
    dial = hook.requests[1]["form"]
    assert dial["DialCallStatus"] == "busy" and "DialCallDuration" not in dial
    recorded = hook.requests[2]["form"]
    assert recorded["RecordingUrl"] == result.recordings[0]
    assert recorded["RecordingUrl"].startswith("https://api.twilio.com/2010-04-01/Accounts/")
    assert int(recorded["RecordingDuration"]) >= 1 and recorded["RecordingSid"].startswith("RE")
    assert result.whispers == [] and "Please call me back" in result.said("caller")
    assert result.ended_by == "twiml_hangup"


async def test_unanswered_line_rings_for_the_dial_timeout_on_the_line_clock():
    async with FakeBridge(_close_after_audio) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = _dial(hook, ring=6)
        try:
            result = await _call(hook, [], shop_line="no-answer")
        finally:
            hook.close()
    assert hook.requests[1]["form"]["DialCallStatus"] == "no-answer"
    assert result.duration_ms >= 6000 and result.dial_statuses == ["no-answer"]


async def test_a_stream_nobody_takes_goes_to_the_action_and_the_script_carries_on():
    """The first stream URL refuses the connection (a dead bridge); the action answers with a
    working stream, where the caller's script runs from its first step, once."""
    with socket.socket() as probe:  # a port with nothing listening on it
        probe.bind(("127.0.0.1", 0))
        dead = f"ws://127.0.0.1:{probe.getsockname()[1]}/media-stream"

    async def hang_up_on_stop(bridge, ws, sid):
        await asyncio.sleep(0)

    async with FakeBridge(hang_up_on_stop) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = twiml.stream_twiml(dead, {"token": "t"}, None, "/voice/stream-ended")
        hook.routes["/voice/stream-ended"] = twiml.stream_twiml(bridge.url, {"token": "u"})
        try:
            result = await _call(hook, [{"type": "dtmf", "digits": "7"}, {"type": "hangup"}])
        finally:
            hook.close()
    assert [r["path"] for r in hook.requests] == ["/voice", "/voice/stream-ended", "/voice/status"]
    assert [e.kind for e in result.events][:1] == ["stream_failed"]
    assert result.streams == 1 and result.stream_parameters == {"token": "u"}
    digits = [m["dtmf"]["digit"] for _, m in bridge.received if m["event"] == "dtmf"]
    assert digits == ["7"] and result.ended_by == "caller_hung_up" and not result.failures


async def test_a_stream_closed_without_an_action_ends_the_call_as_twilio_does():
    async with FakeBridge(_close_after_audio) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = twiml.stream_twiml(bridge.url, {"token": "t"})
        try:
            result = await _call(hook, [{"type": "pause", "ms": 30_000}])
        finally:
            hook.close()
    assert [r["path"] for r in hook.requests] == ["/voice", "/voice/status"]
    assert result.ended_by == "remote_closed" and result.duration_ms < 30_000
    assert json.dumps(result.to_json())  # the new fields serialise
