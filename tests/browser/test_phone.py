"""The console on a phone (390 x 844, the owner in the workshop): every page fits the screen's
width, the navigation reaches each page, and every control has a label a screen reader reads."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.asyncio(loop_scope="package")

PHONE = {"width": 390, "height": 844}
# nav link → the page's heading, a control on it found by its label, what shows it has loaded
PAGES = [
    ("Today", "Today", None, ".board"),
    ("Calls", "Calls", "Direction", "main table, main .status"),
    ("Appointments", "Appointments", "Day", ".board"),
    ("Customers", "Customers", "Search for", "form[role=search]"),
    ("Settings", "Settings", "Persona name", "form[aria-label='Services and bays']"),
]
# Every visible form control's accessible label source; those without one are listed.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter((c) => c.offsetParent !== null && c.type !== 'hidden')
  .filter((c) => !(c.labels && c.labels.length) && !c.getAttribute('aria-label')
    && !c.getAttribute('aria-labelledby'))
  .map((c) => c.id || c.name || c.outerHTML.slice(0, 80))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


async def test_every_page_fits_a_phone_and_is_reached_from_the_navigation(page, stack):
    await page.set_viewport_size(PHONE)
    nav = page.get_by_role("navigation", name="Console sections")
    for link, heading, labelled, loaded in PAGES:
        await nav.get_by_role("link", name=link, exact=True).click()
        await page.get_by_role("heading", name=heading, exact=True).wait_for()
        await page.locator(loaded).first.wait_for()
        assert (
            await nav.get_by_role("link", name=link, exact=True).get_attribute("aria-current")
            == "page"
        )
        assert await page.evaluate(OVERFLOW) <= 0, f"{heading} scrolls sideways on a phone"
        assert await page.evaluate(UNLABELLED) == [], f"unlabelled controls on {heading}"
        if labelled:
            await page.get_by_label(labelled, exact=True).first.wait_for()
        if heading in ("Today", "Settings"):
            await screenshot(page, f"phone-{heading.lower()}")
    await page.set_viewport_size({"width": 1100, "height": 900})
