"""A Japanese shop through the whole local stack, and the same shop switched to Spanish.

The offline engine speaks English only (it says so in its log), so the caller's side of these
calls is English; everything Pitstop itself produces is checked in the shop's language: the
webhook's TwiML (`<Say language="ja-JP" voice=…>`), the `session.update` the engine received
(instructions and input transcription language), the texts in the outbox, and the booking's
spoken time as the tools phrase it.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from pitstop.i18n.formats import price_range, spoken_datetime
from pitstop.seed import seed, tokyo
from pitstop_local.dev import LocalStack
from pitstop_local.signin import DEV_USERS
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, OWNER
from tests.e2e.conftest import Played, open_round_the_clock_today, play, transcript_text

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CALLER = tokyo.DEMO_CALLER["phone"]
SPANISH_CALLER = "+819055550003"  # 鈴木 一郎: another known customer, so the slots differ


def books(caller: str) -> dict:
    """A known caller books an oil change, as `known-customer-books-oil-change` does in English."""
    return {
        "name": "tokyo-known-customer-books",
        "description": "A known customer books an oil change at the Japanese shop and gets a text",
        "from": caller,
        "steps": [
            {"type": "wait_for_agent", "expect": "help you"},
            {
                "type": "say",
                "text": "Hi, I'd like to book an oil change for {workday} morning please.",
            },
            {"type": "wait_for_agent", "expect": "shall i book|would you like|does that work"},
            {"type": "say", "text": "Yes, that works."},
            {"type": "wait_for_agent", "expect": "anything else"},
            {"type": "say", "text": "No thanks, goodbye."},
            {"type": "wait_for_agent", "quiet_ms": 600},
        ],
        "expect": {
            "outcome": "booked",
            "appointment": {"change": "booked", "service_type": "oil_change"},
            "sms": True,
            "handoff": False,
        },
    }


class TokyoStack(LocalStack):
    """The local stack with the Japanese demo shop (`pitstop seed --shop tokyo`) in its table."""

    def _seed_table(self) -> None:
        today = datetime.now(ZoneInfo(tokyo.TIMEZONE)).date()
        self.seed_report = seed(self.settings, today, "tokyo")


@pytest_asyncio.fixture(scope="module", loop_scope="package")
async def stack(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        # A table of its own: moto's backend is one per process, shared by every stack in it.
        table = f"pitstop-tokyo-{uuid.uuid4().hex[:8]}"
        workdir = tmp_path_factory.mktemp("tokyo")
        async with TokyoStack(shop_id="tokyo", workdir=workdir, table=table) as stack:
            open_round_the_clock_today(stack.crm)
            yield stack


def scenario(tmp_path: Path, caller: str) -> str:
    """The booking scenario for `caller`, as a file `play` loads."""
    path = tmp_path / "tokyo-known-customer-books.json"
    path.write_text(json.dumps(books(caller), ensure_ascii=False), "utf-8")
    return str(path)


def _session(stack: LocalStack) -> dict:
    """The session the engine was configured with on the latest call (what the bridge sent)."""
    return stack._engine.configured[-1]


def _booked(played: Played) -> str:
    assert not played.problems, f"{played.problems}\n{transcript_text(played)}"
    [sms] = played.change.sms(played.scenario.caller)
    return sms["body"]


async def test_a_japanese_shops_call_is_japanese_in_everything_pitstop_says(
    stack, tmp_path, caplog
):
    caplog.set_level(logging.WARNING, logger="pitstop_local.engine.session")
    played = await play(stack, scenario(tmp_path, CALLER))
    body = _booked(played)
    # The webhook's answer: the recording notice in Japanese, in a Japanese voice.
    answer = played.result.twiml[0]
    assert '<Say language="ja-JP" voice="Polly.Mizuki">この通話は録音されます。</Say>' in answer
    # What the engine was told: Japanese instructions about this caller, Japanese transcription.
    session = _session(stack)
    assert session["audio"]["input"]["transcription"]["language"] == "ja"
    assert "日本語で話してください" in session["instructions"]
    assert "山田 太郎様" in session["instructions"] and "山田様" in session["instructions"]
    assert price_range(3300, 6600, "JPY", "ja") == "3,300円〜6,600円"
    assert "オイル交換" in session["instructions"] and "3,300円〜6,600円" in session["instructions"]
    # The confirmation text: Japanese, addressed with 様, with the time the Japanese way.
    [appointment] = played.change.booked
    start = appointment.start.astimezone(ZoneInfo(tokyo.TIMEZONE))
    assert body.startswith("山田様 ") and "オイル交換のご予約を承りました" in body
    assert spoken_datetime(start, "ja") in body and f"{start.month}月{start.day}日" in body
    assert "03-5555-0100" in body
    # The offline voice said plainly that it cannot speak Japanese.
    assert any(
        "cannot speak" in r.getMessage() and "Japanese" in r.getMessage() for r in caplog.records
    )


async def test_the_same_shop_in_spanish(stack, tmp_path):
    catalog = stack.crm.shops.catalog()
    stack.crm.shops.put_settings(catalog.settings.model_copy(update={"language": "es"}))
    try:
        played = await play(stack, scenario(tmp_path, SPANISH_CALLER))
    finally:
        stack.crm.shops.put_settings(catalog.settings)
    body = _booked(played)
    assert (
        '<Say language="es-ES" voice="Polly.Lucia">Esta llamada se graba.</Say>'
        in (played.result.twiml[0])
    )
    session = _session(stack)
    assert session["audio"]["input"]["transcription"]["language"] == "es"
    assert "Habla en español" in session["instructions"]
    assert "queda reservada para el" in body and "Responda STOP" in body


async def test_the_console_speaks_the_shops_language(stack):
    """Signed in to the Japanese shop's console, the sections, headings and buttons are Japanese."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium at /usr/bin/chromium (CI installs Debian's chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        page = await browser.new_page()
        try:
            await page.goto(stack.console.url)
            await page.get_by_label("Email").fill(OWNER)
            await page.get_by_label("Password", exact=True).fill(DEV_USERS[OWNER][0])
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("heading", name="今日", exact=True).wait_for()
            assert await page.evaluate("document.documentElement.lang") == "ja"
            nav = page.get_by_role("navigation")
            links = await nav.get_by_role("link").all_inner_texts()
            assert {"今日", "通話", "予約", "顧客", "設定"} <= set(links) and "Today" not in links
            await page.get_by_role("heading", name="通話中", exact=True).wait_for()
            await nav.get_by_role("link", name="設定").click()
            await page.get_by_role("heading", name="設定", exact=True).wait_for()
            assert await page.get_by_label("言語").input_value() == "ja"
            await nav.get_by_role("link", name="予約").click()
            await page.get_by_role("heading", name="予約", exact=True).wait_for()
        finally:
            await browser.close()
