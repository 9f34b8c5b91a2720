"""The call page after the call, and the reports page, in headless Chromium against the whole
local stack: the summary and cost the after-call processing wrote (moto's stream → the
after-call Lambda), the recording played from the local recordings folder through the admin
API's link, the latency figures, and the daily cost chart (plain SVG) agreeing with the calls."""

from __future__ import annotations

import asyncio
import math
import struct
import wave
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.async_api import expect

from pitstop.models import CallDirection, CallOutcome, CallRecord, CallStatus, ToolCallRecord
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.asyncio(loop_scope="package")

SID = "CAbrowsercallpage0001"
KEY = f"calls/{SID}/MZbrowser.wav"
LATENCY = {  # as the bridge stores it (DynamoDB numbers)
    "response": {
        "count": 4,
        "p50_ms": Decimal(640),
        "p95_ms": Decimal(910),
        "max_ms": Decimal(990),
    },
    "greeting_ms": Decimal(450),
}


def _stereo_wav(path, seconds: float = 1.0) -> None:
    """A short stereo PCM WAV, as the bridge writes (8 kHz, caller left, agent right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<hh", int(8000 * math.sin(i / 8)), int(4000 * math.sin(i / 5)))
        for i in range(int(8000 * seconds))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(frames)


async def _finished_call(stack) -> CallRecord:
    """A booked call, as the webhook, the bridge and Twilio's last callback leave it."""
    crm, now = stack.crm, datetime.now(UTC)
    crm.calls.start(
        CallRecord(
            call_sid=SID,
            direction=CallDirection.INBOUND,
            customer_number="+15551230001",
            customer_id="cus_demo0001",
            shop_id=crm.settings.shop_id,
            status=CallStatus.RINGING,
            started_at=now - timedelta(minutes=2),
        ),
        now,
    )
    crm.calls.add_tool_call(
        SID,
        1,
        ToolCallRecord(
            name="book_appointment",
            arguments={},
            result_summary="{}",
            ok=True,
            latency_ms=80,
            at=now,
        ),
    )
    _stereo_wav(stack.workdir / "recordings" / KEY)
    crm.calls.set_fields(
        SID,
        {
            "outcome": CallOutcome.BOOKED.value,
            "usage": {"input_audio": 20_000, "output_audio": 9_000, "cached_audio": 4_000},
            "recording_key": KEY,
            "latency": LATENCY,
        },
    )
    crm.calls.update_status(
        SID, CallStatus.COMPLETED, {"duration_seconds": 118, "ended_at": now.isoformat()}
    )
    async with asyncio.timeout(20):
        await stack.after_call.drain()
    record = crm.calls.get(SID)
    assert record.summary is not None and record.cost is not None
    return record


async def test_the_call_page_shows_summary_recording_latency_and_cost(page, stack):
    record = await _finished_call(stack)
    await page.goto(f"{stack.console.url}#/calls/{SID}")
    await page.get_by_role("heading", name=f"Call {SID}").wait_for()

    summary = page.get_by_role("region", name="Summary")
    await expect(summary).to_contain_text(record.summary.caller_wanted)
    await expect(summary).to_contain_text("Booked an appointment.")
    await expect(summary).to_contain_text("Built from the call's facts (no AI model)")

    audio = page.get_by_label(f"Recording of call {SID}")
    await expect(audio).to_have_attribute("src", f"/recordings/{KEY}")
    duration = await audio.evaluate(
        """(el) => new Promise((resolve, reject) => {
            if (el.readyState >= 1) return resolve(el.duration);
            el.addEventListener("loadedmetadata", () => resolve(el.duration));
            el.addEventListener("error", () => reject(new Error("the recording did not load")));
            el.load();
        })"""
    )
    assert duration == pytest.approx(1.0, abs=0.05)

    latency = page.get_by_role("region", name="Latency")
    row = latency.get_by_role("row", name="Agent's answer after the caller stopped")
    await expect(row).to_contain_text("910 ms")
    await expect(latency).to_contain_text("450 ms")

    cost = page.get_by_role("region", name="Cost")
    await expect(cost).to_contain_text(f"${record.cost.total_usd:.4f}")
    await expect(cost).to_contain_text(f"Phone minutes ({record.cost.twilio_minutes} min)")
    await screenshot(page, "call-after")

    await page.goto(f"{stack.console.url}#/calls")
    row = page.locator("table tbody tr", has=page.locator(f"a[href='#/calls/{SID}']"))
    await expect(row).to_contain_text(f"${record.cost.total_usd:.4f}")


async def test_a_call_still_going_on_says_so(page, stack):
    sid = "CAbrowserlive0001"
    stack.crm.calls.start(
        CallRecord(
            call_sid=sid,
            direction=CallDirection.INBOUND,
            customer_number="+15551230002",
            started_at=datetime.now(UTC),
        ),
        datetime.now(UTC),
    )
    try:
        await page.goto(f"{stack.console.url}#/calls/{sid}")
        await page.get_by_text("No summary yet: it is written once the call has ended.").wait_for()
        await page.get_by_text("No recording of this call.").wait_for()
        await page.get_by_text("Not priced yet").wait_for()
    finally:
        # The stack is the package's: a call left in progress would sit on every later test's
        # live view (the live-call test takes the first live card as its own).
        stack.crm.calls.update_status(sid, CallStatus.COMPLETED, {"duration_seconds": 1})


async def test_the_reports_page_charts_the_days_cost(page, stack):
    record = stack.crm.calls.get(SID) or await _finished_call(stack)
    await page.get_by_role("link", name="Reports").click()
    await page.get_by_role("heading", name="Reports", exact=True).wait_for()
    chart = page.get_by_role("img", name="Cost per day (USD)", exact=False)
    await expect(chart.locator("rect.bar")).to_have_count(14)
    values = await chart.locator("rect.bar").evaluate_all(
        "(bars) => bars.map((b) => [b.dataset.day, Number(b.dataset.value)])"
    )
    since = await page.get_by_label("From").input_value()
    until = await page.get_by_label("To", exact=True).input_value()
    report = await page.evaluate(
        "async ([since, until]) => (await import('/api.js'))"
        ".api('GET', `/admin/reports/costs?since=${since}&until=${until}`)",
        [since, until],
    )
    assert [[d["day"], d["cost_usd"]] for d in report["days"]] == values
    assert sum(v for _, v in values) == pytest.approx(report["total"]["cost_usd"])
    assert report["total"]["cost_usd"] >= record.cost.total_usd
    started = record.started_at.astimezone(UTC).date()
    assert any(abs((datetime.fromisoformat(d).date() - started).days) <= 1 for d, _ in values)
    await expect(
        page.get_by_role("img", name="Response latency p95 per day (ms)", exact=False)
    ).to_be_visible()
    total = page.locator("table.report tfoot tr")
    await expect(total).to_contain_text(f"${report['total']['cost_usd']:.4f}")
    await screenshot(page, "reports")


async def test_an_owner_changes_a_price_and_the_next_call_is_priced_with_it(page, stack):
    await page.goto(f"{stack.console.url}#/reports")
    prices = page.get_by_role("form", name="Prices")
    inbound = prices.get_by_label("Inbound, per minute")
    await expect(inbound).to_have_value("0.0085")
    await inbound.fill("0.02")
    await prices.get_by_role("button", name="Save prices").click()
    await page.get_by_text("Saved as version 1: calls priced from now on use it.").wait_for()
    await expect(
        page.get_by_role("form", name="Prices").get_by_label("Inbound, per minute")
    ).to_have_value("0.02")

    sid = "CAbrowserpriced0001"
    now = datetime.now(UTC)
    stack.crm.calls.start(
        CallRecord(
            call_sid=sid,
            direction=CallDirection.INBOUND,
            customer_number="+15551230002",
            status=CallStatus.RINGING,
            started_at=now,
        ),
        now,
    )
    stack.crm.calls.update_status(sid, CallStatus.COMPLETED, {"duration_seconds": 90})
    async with asyncio.timeout(20):
        await stack.after_call.drain()
    cost = stack.crm.calls.get(sid).cost
    assert cost is not None and cost.prices_version == 1
    assert cost.twilio_usd == pytest.approx(2 * 0.02)
