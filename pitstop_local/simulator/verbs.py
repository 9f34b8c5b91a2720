"""The TwiML verbs that lead somewhere else: `<Dial>` (with its `<Number url>` whisper) and
`<Record>`, each ending in a signed request to its `action` URL, as Twilio makes it.

Why simulate the shop's line at all: a handoff that nobody answers is where callers used to be
dropped. The scenario's `shop_line` says what the line does (answered, busy, no-answer,
failed); the simulator then reports it with Twilio's own `action` parameters
(`DialCallStatus`, `DialCallSid`, `DialCallDuration`, `DialBridged`; `RecordingUrl`,
`RecordingDuration`, `RecordingSid`), so the webhook's routes are driven exactly as in
production. Time on the line (ringing, the staff member talking, the message) passes on the
call's clock, so the recording and the durations are what a real call would show.

Recording as Twilio does it: `<Dial record="record-from-answer[-dual]">` records an answered
leg from the answer, `<Record>` records the message; with a `recordingStatusCallback`, Twilio
posts the completed recording there (signed, `RecordingSid`, `RecordingUrl`, `RecordingStatus`,
`RecordingDuration`, `RecordingChannels`, `RecordingSource`) before going on to the `action`.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from pitstop_local.simulator.line import SILENCE_FRAME, Clock
from pitstop_local.simulator.results import Hop, Leg, Turn

if TYPE_CHECKING:
    from pitstop_local.simulator.twilio_sim import TwilioSimulator

#: Line time before a person picks up, before a busy signal, and while staff hear the whisper.
RING_BEFORE_ANSWER_MS = 2000
BUSY_AFTER_MS = 1000
WHISPER_MS = 2000
#: Twilio's defaults: `<Dial timeout>` 30 s, `<Record timeout>` 5 s, `<Record maxLength>` 3600 s.
DIAL_TIMEOUT_S = 30
RECORD_TIMEOUT_S = 5
RECORD_MAX_S = 3600
#: `<Dial record>` values that record (Twilio's `do-not-record`, the default, does not).
DIAL_RECORDS = {"record-from-answer": "1", "record-from-ringing": "1"}
DIAL_RECORDS |= {"record-from-answer-dual": "2", "record-from-ringing-dual": "2"}


async def dial(sim: TwilioSimulator, leg: Leg, verb: ET.Element, url: str) -> Hop | None:
    """`<Dial>` one number, as the scenario's shop line behaves. With an `action`, the next hop
    is a POST of Twilio's dial parameters to it; without one, None (on to the next verb)."""
    result, clock, scenario = leg.result, leg.clock, leg.scenario
    number_el = verb.find("Number")
    number = ((number_el.text if number_el is not None else verb.text) or "").strip()
    result.dialled = number
    sim.turn(result, Turn("twiml", f"<Dial {number}>", clock.ms))
    dial_sid = "CA" + uuid.uuid4().hex
    fields = {"DialCallSid": dial_sid, "DialCallStatus": scenario.shop_line, "DialBridged": "false"}
    if scenario.shop_line == "answered":
        await silence(clock, RING_BEFORE_ANSWER_MS)
        whisper = number_el.get("url") if number_el is not None else None
        if whisper:
            await _whisper(sim, leg, urljoin(url, whisper), number, dial_sid)
        await silence(clock, scenario.shop_talk_ms)
        fields.update(
            DialCallStatus="completed",
            DialCallDuration=str(round(scenario.shop_talk_ms / 1000)),
            DialBridged="true",
        )
        channels = DIAL_RECORDS.get(verb.get("record", ""))
        if channels:
            seconds = max(1, round(scenario.shop_talk_ms / 1000))
            await recording_done(sim, leg, verb, url, seconds, channels, "DialVerb")
    elif scenario.shop_line == "no-answer":
        await silence(clock, int(verb.get("timeout", DIAL_TIMEOUT_S)) * 1000)
    elif scenario.shop_line == "busy":
        await silence(clock, BUSY_AFTER_MS)
    result.dial_statuses.append(fields["DialCallStatus"])
    action = verb.get("action")
    if not action:
        result.ended_by = "dial"
        return None
    return "post", urljoin(url, action), fields


async def _whisper(sim: TwilioSimulator, leg: Leg, url: str, number: str, dial_sid: str) -> None:
    """Fetch the `<Number url>` TwiML for the staff member's leg (the caller hears ringing).

    Twilio requests it for the dialled (child) call: its own `CallSid`, the caller's call as
    `ParentCallSid`, `Direction=outbound-dial`. Twilio refuses a `<Dial>` inside it."""
    result = leg.result
    form = sim.base_form(dial_sid, leg.form["From"], number, "outbound-dial")
    form.update(CallStatus="in-progress", ParentCallSid=result.call_sid)
    root = ET.fromstring(await sim.post(leg.http, url, form, None))
    result.requests.append(url)
    if root.find("Dial") is not None:
        result.failures.append("the whisper TwiML contains <Dial>, which Twilio refuses")
    for say in root.iter("Say"):
        text = (say.text or "").strip()
        result.whispers.append(text)
        sim.turn(result, Turn("whisper", text, leg.clock.ms))
    await silence(leg.clock, WHISPER_MS)


async def record(sim: TwilioSimulator, leg: Leg, verb: ET.Element, url: str) -> Hop:
    """`<Record>`: a beep, the caller's message, then silence until the `timeout` ends it.

    Twilio then requests `action` (without one, the current document's URL) with the
    recording's URL, duration (silence trimmed, Twilio's default) and SID."""
    result, clock, scenario = leg.result, leg.clock, leg.scenario
    if verb.get("playBeep", "true") != "false":
        await silence(clock, 500)
    sim.turn(result, Turn("caller", scenario.message, clock.ms))
    audio = leg.speech[scenario.message]
    max_frames = int(verb.get("maxLength", RECORD_MAX_S)) * 1000 // 20
    clock.rebase()
    frames = [audio[i : i + len(SILENCE_FRAME)] for i in range(0, len(audio), len(SILENCE_FRAME))]
    for frame in frames[:max_frames]:
        clock.record(frame.ljust(len(SILENCE_FRAME), SILENCE_FRAME[:1]), None)
        await clock.advance()
    await silence(clock, int(verb.get("timeout", RECORD_TIMEOUT_S)) * 1000)
    recording_sid, recording_url = new_recording(sim)
    result.recordings.append(recording_url)
    seconds = max(1, round(min(len(frames), max_frames) * 20 / 1000))
    fields = {
        "RecordingUrl": recording_url,
        "RecordingDuration": str(seconds),
        "RecordingSid": recording_sid,
    }
    await recording_done(
        sim, leg, verb, url, seconds, "1", "RecordVerb", (recording_sid, recording_url)
    )
    return "post", urljoin(url, verb.get("action") or url), fields


def new_recording(sim: TwilioSimulator) -> tuple[str, str]:
    """A recording's SID and its media URL, as Twilio names them."""
    sid = "RE" + uuid.uuid4().hex
    return sid, f"https://api.twilio.com/2010-04-01/Accounts/{sim.account_sid}/Recordings/{sid}"


async def recording_done(
    sim: TwilioSimulator,
    leg: Leg,
    verb: ET.Element,
    url: str,
    seconds: int,
    channels: str,
    source: str,
    recording: tuple[str, str] | None = None,
) -> None:
    """Post the verb's `recordingStatusCallback` for a completed recording (if it has one),
    with the parameters Twilio sends; a failed callback is noted, the call goes on."""
    callback = verb.get("recordingStatusCallback")
    if not callback:
        return
    events = verb.get("recordingStatusCallbackEvent", "completed").split()
    if "completed" not in events:
        return
    sid, media = recording or new_recording(sim)
    result = leg.result
    if recording is None:
        result.recordings.append(media)
    form = {
        "AccountSid": sim.account_sid,
        "CallSid": result.call_sid,
        "RecordingSid": sid,
        "RecordingUrl": media,
        "RecordingStatus": "completed",
        "RecordingDuration": str(seconds),
        "RecordingChannels": channels,
        "RecordingSource": source,
        "RecordingStartTime": datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }
    try:
        await sim.post(leg.http, urljoin(url, callback), form, None)
        result.recording_callbacks.append(sid)
    except Exception as error:  # noqa: BLE001 - Twilio only notes a failed callback
        result.failures.append(f"recording status callback failed: {error}")


async def silence(clock: Clock, ms: int) -> None:
    """`ms` of line time with nobody talking (ringing, or the far end of a handoff)."""
    clock.rebase()
    for _ in range(ms // 20):
        clock.record(SILENCE_FRAME, None)
        await clock.advance()
