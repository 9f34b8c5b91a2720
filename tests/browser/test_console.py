"""What staff do in the console, in a real browser: watch a live call and take it over, change
the agent's persona and hear the next call use it, move an appointment on the board."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pitstop.models import Message
from pitstop.telephony import read_outbox
from pitstop_local.simulator.scenario import load_scenario
from tests.browser.conftest import SPEED, screenshot
from tests.e2e.conftest import render

pytestmark = pytest.mark.asyncio(loop_scope="package")


def _place(stack, name: str):
    scenario = load_scenario(name)
    scenario = render(stack, scenario, scenario.caller)
    return asyncio.create_task(stack.simulator(speed=SPEED).call(scenario))


async def test_live_call_appears_with_its_transcript_growing_and_can_be_taken_over(page, stack):
    call = _place(stack, "known-customer-books-oil-change")
    card = page.locator("article.live-call").first
    await card.wait_for(timeout=20_000)
    lines = card.locator(".transcript li")
    await lines.first.wait_for(timeout=20_000)
    await page.wait_for_function(
        "() => document.querySelectorAll('article.live-call .transcript li').length >= 2",
        timeout=40_000,
    )
    sid = await card.get_attribute("data-sid")
    await screenshot(page, "today")
    await card.get_by_role("button", name="Hand to me now").click()
    await page.get_by_text("Handed to the shop").wait_for(timeout=10_000)
    result = await asyncio.wait_for(call, timeout=60)
    shop_phone = stack.crm.shops.catalog().shop.phone
    assert result.call_sid == sid
    assert result.dialled == shop_phone and result.ended_by == "dial"
    redirects = [e for e in read_outbox(stack.outbox_path) if e["kind"] == "redirect"]
    assert [e["call_sid"] for e in redirects] == [sid]
    await stack.call_finished(sid)

    await page.goto(f"{stack.console.url}#/calls/{sid}")
    await page.get_by_role("heading", name=f"Call {sid}").wait_for()
    await page.get_by_text("taken over from the console by owner@pitstop.local").wait_for()
    await screenshot(page, "call")
    await page.goto(f"{stack.console.url}#/calls")
    await page.locator(f"table a[href='#/calls/{sid}']").wait_for()
    await screenshot(page, "calls")


async def test_a_new_persona_is_what_the_next_call_hears(page, stack):
    await page.goto(f"{stack.console.url}#/settings")
    name = page.get_by_label("Persona name")
    await name.fill("Sam")
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.get_by_text("Saved. The next call uses it.").wait_for()
    await page.get_by_text('persona_name: "Robin" → "Sam"').wait_for()
    await screenshot(page, "settings")

    result = await asyncio.wait_for(_place(stack, "handoff"), timeout=90)
    assert "This is Sam" in result.said("agent")[0]

    await page.get_by_role("button", name="Roll back to v0").click()
    await page.get_by_text("Rolled back to version 0.").wait_for()
    assert stack.crm.shops.settings().persona_name == "Robin"


async def test_an_appointment_is_moved_on_the_board(page, stack):
    tz = ZoneInfo(stack.crm.shops.catalog().shop.timezone)
    today = datetime.now(tz).date()
    appointment = next(
        a
        for d in range(1, 15)
        for a in stack.crm.appointments.on_day(stack.shop_id, today + timedelta(days=d))
        # a seeded one: a call placed by an earlier test may have booked another that day
        if a.active and a.appointment_id.startswith("apt_demo")
    )
    day = appointment.start.date()
    await page.goto(f"{stack.console.url}#/appointments")
    await page.locator(".board").wait_for()
    # `fill` fires the day's `change` itself: one fetch, one render (a second render would
    # replace the card, and with it the time typed into it)
    await page.get_by_label("Day").fill(day.isoformat())
    card = page.locator(f"li.appointment[data-id='{appointment.appointment_id}']")
    await card.wait_for()
    target = appointment.start.replace(hour=15, minute=30)
    move_to = card.get_by_label("Move to")
    await move_to.fill(target.strftime("%Y-%m-%dT%H:%M"))
    await screenshot(page, "appointments")
    assert await move_to.input_value() == target.strftime("%Y-%m-%dT%H:%M")
    await card.get_by_role("button", name="Move").click()
    outcome = page.locator(".board").locator("xpath=..").locator(".status")
    await outcome.wait_for()
    assert "Moved the" in await outcome.inner_text()
    moved = stack.crm.appointments.get(appointment.customer_id, appointment.appointment_id)
    assert moved.start == target

    await page.goto(f"{stack.console.url}#/customers")
    await page.get_by_label("Full name or phone number").fill("alex morgan")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("heading", name="Alex Morgan").wait_for()
    await screenshot(page, "customers")


async def test_a_waiting_message_is_handled_from_today(page, stack):
    message = stack.crm.messages.add(
        Message(
            shop_id=stack.shop_id,
            caller_name="Dana Price",
            callback_number="+15551239999",
            about="rattle from the rear axle",
            created_at=datetime.now(ZoneInfo("UTC")),
        )
    )
    await page.reload()
    item = page.locator(f"li.message[data-id='{message.message_id}']")
    await item.get_by_text("rattle from the rear axle").wait_for()
    await screenshot(page, "messages")
    await item.get_by_role("button", name="Handle the message from Dana Price").click()
    await item.get_by_text("handled by owner@pitstop.local").wait_for()
    assert stack.crm.messages.get(message.message_id).handled_by == "owner@pitstop.local"
