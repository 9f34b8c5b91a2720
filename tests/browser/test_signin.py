"""Signing in as a newly invited member of staff: Cognito's NEW_PASSWORD_REQUIRED challenge,
answered in the sign-in page (a temporary password is replaced before anything else shows)."""

from __future__ import annotations

import pytest

from pitstop_local.signin import INVITED_TEMPORARY_PASSWORD, INVITED_USER

pytestmark = pytest.mark.asyncio(loop_scope="package")
NEW_PASSWORD = "Brake-Pads-2026"


async def _sign_in(page, password: str) -> None:
    await page.get_by_label("Email").fill(INVITED_USER)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_an_invited_advisor_chooses_a_new_password_at_first_sign_in(browser, stack):
    page = await browser.new_page()
    await page.goto(stack.console.url)
    await _sign_in(page, INVITED_TEMPORARY_PASSWORD)
    await page.get_by_role("heading", name="Choose a new password").wait_for()
    assert not await page.get_by_role("navigation").is_visible()

    await page.get_by_label("New password", exact=True).fill("brakes")
    await page.get_by_label("Repeat the new password", exact=True).fill("brakes")
    await page.get_by_role("button", name="Set password and sign in").click()
    error = page.locator("#new-password-error")
    await error.filter(has_text="Password does not conform to policy").wait_for()

    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("Repeat the new password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set password and sign in").click()
    await page.get_by_role("heading", name="Today", exact=True).wait_for()
    assert INVITED_USER in await page.locator("#who").inner_text()

    await page.get_by_role("button", name="Sign out").click()
    await _sign_in(page, INVITED_TEMPORARY_PASSWORD)
    await page.locator("#login-error").filter(has_text="Incorrect username or password").wait_for()
    await _sign_in(page, NEW_PASSWORD)
    await page.get_by_role("heading", name="Today", exact=True).wait_for()
    await page.close()
