"""A test call from the console in a real headless Chromium: its microphone is a WAV file the
offline synthesiser spoke (a caller booking an oil change, with pauses for the agent's turns),
the page speaks Twilio's Media Streams protocol to the local stack's bridge, and the offline
engine answers. The caller talks over the greeting (barge-in: the page must drop what it had
buffered), books, and says goodbye; the agent then hangs up, well before Chromium loops the file.
"""

from __future__ import annotations

import array
import math
import wave
from pathlib import Path

import pytest
from playwright.async_api import expect

from pitstop.models import CallDirection, CallStatus
from pitstop.telephony import read_outbox
from pitstop_local.signin import DEV_USERS
from pitstop_local.simulator.scenario import Pause, Say, Scenario
from pitstop_local.speech.codec import mulaw_to_pcm16
from pitstop_local.speech.tts import CALLER_VOICE, Synthesizer
from tests.browser.conftest import OWNER, screenshot
from tests.browser.test_phone import OVERFLOW, PHONE, UNLABELLED
from tests.e2e.conftest import render

pytestmark = pytest.mark.asyncio(loop_scope="package")

CALLER = "+15551230001"  # Alex Morgan in the demo shop
# The caller's side, as a scenario's steps: the pauses are the agent's turns. The first line
# comes while the greeting is still playing (a barge-in); after the goodbye, silence long enough
# that the call is over well before Chromium plays the file again.
SCRIPT = [
    {"type": "pause", "ms": 5500},  # the ~8 s greeting has started by then, even on a busy box
    # {workday2}: the live-call test books this caller's car on {workday} morning.
    {"type": "say", "text": "Hi, I'd like to book an oil change for {workday2} morning please."},
    {"type": "pause", "ms": 16000},
    {"type": "say", "text": "Yes, that works."},
    {"type": "pause", "ms": 22000},
    {"type": "say", "text": "No thanks, goodbye."},
    {"type": "pause", "ms": 12000},
    {"type": "say", "text": "Goodbye."},  # in case the agent was still talking over the first
    {"type": "pause", "ms": 40000},
]
CONFIRMATION_BYTES = 8000 * 3 // 2  # at least 1.5 s of agent audio played after the booking


def _caller_wav(stack, path: Path) -> Path:
    """The caller's side of the call as a 16-bit mono WAV at eSpeak's own rate."""
    script = Scenario.model_validate({"name": "test-call", "from": CALLER, "steps": SCRIPT})
    voice = Synthesizer(**CALLER_VOICE)  # type: ignore[arg-type]
    rate = voice.sample_rate
    audio = bytearray()
    for step in render(stack, script, CALLER).steps:
        if isinstance(step, Pause):
            audio += bytes(2 * (rate * step.ms // 1000))
        elif isinstance(step, Say):
            audio += voice.synthesize_pcm16(step.text)[0]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(audio))
    return path


async def _signed_in(context, url: str):
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_label("Email").fill(OWNER)
    await page.get_by_label("Password", exact=True).fill(DEV_USERS[OWNER][0])
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Today", exact=True).wait_for()
    return page


def _oil_changes(stack, customer_id: str) -> set[str]:
    file = stack.crm.customers.file(customer_id)
    return {
        a.appointment_id for a in file.appointments if a.active and a.service_type == "oil_change"
    }


async def test_a_browser_test_call_books_an_oil_change_and_honours_barge_in(
    stack, fake_microphone, tmp_path
):
    wav = _caller_wav(stack, tmp_path / "caller.wav")
    customer_id = stack.crm.customers.id_for_phone(CALLER)
    before = _oil_changes(stack, customer_id)
    # earlier tests on this stack may have texted the same customer: only this call counts
    sent_before = len(read_outbox(stack.outbox_path))
    page = await _signed_in(await fake_microphone(wav), stack.console.url)
    await page.locator("body[data-live='open']").wait_for(state="attached", timeout=20_000)
    await page.get_by_role("link", name="Test call").click()
    await page.get_by_label("Who is calling").select_option("known")
    await page.get_by_label("Customer's phone number").fill(CALLER)
    await page.get_by_role("button", name="Call", exact=True).click()
    state = page.locator("#test-call-state")
    await expect(state).to_have_attribute("data-state", "connected", timeout=20_000)
    await page.locator(".transcript li.agent").first.wait_for(timeout=20_000)
    try:
        await expect(state).to_have_attribute("data-state", "ended", timeout=120_000)
    except AssertionError as error:
        raise AssertionError(f"the call did not end: {await _seen(page)}") from error
    call_sid = await page.evaluate("window.pitstopPhone.grant.call_sid")
    await stack.call_finished(call_sid)

    # The appointment is in the CRM, and the call is in the log as a test call.
    booked = _oil_changes(stack, customer_id) - before
    assert len(booked) == 1, booked
    record = stack.crm.calls.get(call_sid)
    assert record.direction == CallDirection.TEST and record.status == CallStatus.COMPLETED
    assert record.outcome == "booked", record.outcome
    await expect(page.locator(".tools li", has_text="book_appointment")).to_have_count(1)
    # Its confirmation text was held on the record and shown, never sent.
    assert [t.to for t in record.held_texts] == [CALLER]
    await expect(page.locator(".held li", has_text=CALLER)).to_have_count(1)
    await screenshot(page, "test-call")
    sent = read_outbox(stack.outbox_path)[sent_before:]
    assert not [e for e in sent if e.get("to") == CALLER and e["kind"] == "sms"]

    # What the page's own playback did: the barge-in dropped buffered audio at once, and the
    # agent's confirmation (after the booking ran) was played, not just received.
    playback = await page.evaluate(
        """() => { const p = window.pitstopPhone.playback;
        const after = p.notes["tool:book_appointment"];
        return { received: p.received, played: p.played, dropped: p.dropped, clears: p.clears,
                 marks: p.marksEchoed, first: p.firstAudioMs, after,
                 heard: Array.from(p.since(after)) }; }"""
    )
    heard = bytes(playback.pop("heard"))
    assert playback["clears"] >= 1 and playback["dropped"] > 0, (playback, await _seen(page))
    assert playback["marks"] > 0
    assert playback["played"] + playback["dropped"] <= playback["received"]
    assert len(heard) >= CONFIRMATION_BYTES, len(heard)
    assert _rms(heard) > 300, _rms(heard)  # speech, not the silence a stalled player renders

    await page.goto(f"{stack.console.url}#/calls")
    row = page.locator("table tbody tr", has=page.locator(f"a[href='#/calls/{call_sid}']"))
    await expect(row.locator("td").nth(1)).to_have_text("test")
    await page.close()


async def _seen(page) -> str:
    """What the page showed of the call, for a failure's message."""
    lines = await page.locator(".test-call .transcript li, .test-call .tools li").all_inner_texts()
    return "\n".join(lines)


def _rms(mulaw: bytes) -> float:
    samples = array.array("h", mulaw_to_pcm16(mulaw))
    return math.sqrt(sum(s * s for s in samples) / max(len(samples), 1))


async def test_the_test_call_page_fits_a_phone_and_labels_its_controls(page, stack):
    await page.set_viewport_size(PHONE)
    await page.get_by_role("link", name="Test call").click()
    await page.get_by_role("heading", name="Test call").wait_for()
    await page.get_by_label("Who is calling").select_option("known")
    assert await page.evaluate(UNLABELLED) == []
    assert await page.evaluate(OVERFLOW) <= 0
    await screenshot(page, "phone-test-call")
