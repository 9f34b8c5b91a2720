"""The simulator behaves as Twilio does, checked against a tiny fake webhook and fake bridge.

The fake side observes the wire (form fields, signature, Media Streams frames), so these tests
fail if the simulator skips a step Twilio performs: signing, streaming continuously, holding a
mark until the audio before it has played, dropping buffered audio on `clear`.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from pitstop import twiml
from pitstop_local.simulator.scenario import Scenario
from pitstop_local.simulator.twilio_sim import TwilioSimulator
from tests.unit.simulator.fakes import TOKEN, TONE, FakeBridge, FakeWebhook, scenario


async def test_signed_webhook_stream_and_marks_after_playback():
    """Twilio's form + signature; connected/start/media as Twilio sends them; a mark is echoed
    only once the second of audio queued before it has played (≥ 50 inbound frames later)."""
    sent_at = {}

    async def plan(bridge, ws, sid):
        sent_at["m1"] = bridge.media_frames
        await bridge.send_audio(ws, sid, TONE, mark="m1")

    async with FakeBridge(plan) as bridge:
        hook = FakeWebhook(bridge.url)
        try:
            sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token=TOKEN, speed=8)
            result = await sim.call(
                scenario([{"type": "wait_for_agent", "quiet_ms": 200}, {"type": "hangup"}])
            )
        finally:
            hook.close()
    voice, status = hook.requests[0], hook.requests[-1]
    assert voice["valid"] and voice["path"] == "/voice"
    assert {"CallSid", "AccountSid", "From", "To", "CallStatus", "Direction"} <= voice[
        "form"
    ].keys()
    assert voice["form"]["From"] == "+15551230001" and voice["form"]["Direction"] == "inbound"
    assert status["valid"] and status["path"] == "/voice/status"
    assert (
        status["form"]["CallStatus"] == "completed" and status["form"]["CallSid"] == result.call_sid
    )

    events = [m["event"] for _, m in bridge.received]
    assert events[0] == "connected" and events[1] == "start" and events[-1] == "stop"
    start = bridge.start["start"]
    assert start["callSid"] == result.call_sid
    assert start["customParameters"] == {
        "direction": "inbound",
        "customer_number": "+15551230001",
        "token": "tok",
    }
    assert start["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    media = [m for _, m in bridge.received if m["event"] == "media"]
    assert all(len(base64.b64decode(m["media"]["payload"])) == 160 for m in media)
    assert [int(m["media"]["timestamp"]) for m in media[:3]] == [0, 20, 40]
    assert media[0]["media"]["track"] == "inbound"

    [(frames_at_ack, name)] = bridge.acks()
    assert name == "m1"
    assert frames_at_ack - sent_at["m1"] >= 50  # one second of line time went by first
    assert result.stream_opened and result.ended_by == "caller_hung_up"
    # the agent's second of audio is in the recording's right channel, 50 frames of it
    assert result.agent_audio.count(TONE[:160]) >= 45


async def test_clear_drops_buffered_audio_and_echoes_marks():
    """Ten seconds of agent audio, then `clear` when the caller starts talking: the rest is
    never played, the pending mark comes back at once, and the barge-in is measured."""

    async def plan(bridge, ws, sid):
        await bridge.send_audio(ws, sid, TONE * 10, mark="long")

    class ClearingBridge(FakeBridge):
        def on_voice(self, ws, sid):
            self.clearing = asyncio.ensure_future(
                ws.send(json.dumps({"event": "clear", "streamSid": sid}))
            )

    async with ClearingBridge(plan) as bridge:
        hook = FakeWebhook(bridge.url)
        try:
            sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token=TOKEN, speed=5)
            result = await sim.call(
                scenario(
                    [
                        {"type": "barge_in", "text": "Sorry, wait a moment", "after_ms": 400},
                        {"type": "hangup"},
                    ]
                )
            )
        finally:
            hook.close()
    [(_, name)] = bridge.acks()
    assert name == "long"
    clears = [e for e in result.events if e.kind == "clear"]
    assert len(clears) == 1 and clears[0].detail["dropped_ms"] > 5000
    played_ms = (
        sum(
            result.agent_audio[i : i + 160] == TONE[:160]
            for i in range(0, len(result.agent_audio), 160)
        )
        * 20
    )
    assert played_ms < 5000
    [barge] = result.barge_ins
    assert barge.speech_ms >= 400 and barge.clears == 1
    assert barge.stop_ms is not None and barge.stop_ms <= 100


async def test_forged_signature_is_what_a_wrong_token_produces():
    """The signature is twilio's own: a simulator with another token is refused."""

    async def plan(bridge, ws, sid):
        return None

    async with FakeBridge(plan) as bridge:
        hook = FakeWebhook(bridge.url)
        try:
            sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token="wrong", speed=8)
            with pytest.raises(Exception, match="403"):
                await sim.call(scenario([{"type": "hangup"}]))
        finally:
            hook.close()
    assert hook.requests and not hook.requests[0]["valid"]
    assert bridge.start is None


async def test_voicemail_twiml_is_played_without_a_stream():
    """A machine answers a reminder call: the webhook's `<Say>` + `<Hangup>` is played and no
    stream is opened; the status callback goes to the URL the dialler asked for."""

    async def plan(bridge, ws, sid):
        return None

    async with FakeBridge(plan) as bridge:
        hook = FakeWebhook(bridge.url)
        hook.answer = twiml.voicemail_twiml("Hi, this is Pitstop reminding you of tomorrow.")
        try:
            sim = TwilioSimulator(f"http://127.0.0.1:{hook.port}", auth_token=TOKEN, speed=20)
            entry = {
                "kind": "call",
                "sid": "CAreminder1",
                "to": "+15551230001",
                "from_": "+15005550006",
                "url": f"http://127.0.0.1:{hook.port}/voice/reminder?appointment_id=apt_1",
                "status_callback": f"http://127.0.0.1:{hook.port}/voice/status",
                "machine_detection": True,
            }
            machine = Scenario.model_validate(
                {
                    "name": "vm",
                    "direction": "reminder",
                    "answered_by": "machine_end_beep",
                    "steps": [],
                }
            )
            result = await sim.answer(machine, entry)
        finally:
            hook.close()
    first, status = hook.requests[0], hook.requests[-1]
    assert first["valid"] and first["path"].startswith("/voice/reminder?appointment_id=apt_1")
    assert (
        first["form"]["AnsweredBy"] == "machine_end_beep"
        and first["form"]["CallSid"] == "CAreminder1"
    )
    assert first["form"]["Direction"] == "outbound-api" and first["form"]["To"] == "+15551230001"
    assert (
        status["form"]["CallStatus"] == "completed"
        and status["form"]["AnsweredBy"] == "machine_end_beep"
    )
    assert not result.stream_opened and bridge.start is None
    assert result.said("twiml") == ["Hi, this is Pitstop reminding you of tomorrow."]
    assert result.ended_by == "twiml_hangup" and result.duration_ms > 1000
