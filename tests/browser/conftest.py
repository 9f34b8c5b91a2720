"""The console in a real headless Chromium (Debian's package, driven by Playwright), against a
whole local stack in this process: moto, the Lambdas, the bridge, the offline engine, the
console's web origin and its live-view stand-in. Without /usr/bin/chromium these tests skip."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import pytest_asyncio

from pitstop_local.dev import LocalStack
from pitstop_local.signin import DEV_USERS

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OWNER = "owner@pitstop.local"


@pytest.fixture(scope="package")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (CI installs Debian's chromium)")
    return CHROMIUM


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def stack(chromium, tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        # A table of its own: moto's backend is one per process, shared by every stack in it.
        table = f"pitstop-{uuid.uuid4().hex[:8]}"
        async with LocalStack(workdir=tmp_path_factory.mktemp("stack"), table=table) as stack:
            yield stack


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def browser(chromium, tmp_path_factory):
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 900},
        )
        yield context
        await context.close()


@pytest_asyncio.fixture(loop_scope="package")
async def page(browser, stack):
    """A signed-in owner on the console's Today page."""
    page = await browser.new_page()
    await page.goto(stack.console.url)
    await page.get_by_label("Email").fill(OWNER)
    await page.get_by_label("Password", exact=True).fill(DEV_USERS[OWNER][0])
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Today", exact=True).wait_for()
    yield page
    await page.close()


async def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


SPEED = float(os.environ.get("PITSTOP_BROWSER_SPEED", "1"))


@pytest_asyncio.fixture(loop_scope="package")
async def fake_microphone(chromium, tmp_path_factory):
    """`await fake_microphone(wav)`: a browser of its own whose microphone plays `wav` (Chromium
    loops it), the microphone permission granted. The shared `browser` is left as it is."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        contexts = []

        async def launch(wav: Path):
            context = await playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-microphone")),
                executable_path=str(chromium),
                headless=True,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}",
                    "--autoplay-policy=no-user-gesture-required",
                ],
                permissions=["microphone"],
                viewport={"width": 1100, "height": 900},
            )
            contexts.append(context)
            return context

        yield launch
        for context in contexts:
            await context.close()
