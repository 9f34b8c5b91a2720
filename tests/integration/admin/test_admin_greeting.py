"""The greeting from the console: its template variables checked on save, and what the next
call's agent is told to open with (the bridge's brief, read from the table)."""

from __future__ import annotations

from datetime import UTC, datetime

from media_bridge.call_state import CallContext
from media_bridge.instructions import load_brief


def _brief(shop, settings):
    context = CallContext("CAgreet01", "MZ1", "inbound", "+15551230001", "cus_alex", "demo", None)
    return load_brief(shop, context, settings, datetime.now(UTC))


def test_a_greeting_with_an_unknown_variable_is_refused_naming_it(api, shop):
    change = {"version": 0, "settings": {"greeting": "Hello {first_name}!"}}
    status, body = api("PUT", "/admin/settings", change)
    assert status == 422 and body["errors"][0]["loc"] == ["greeting"]
    assert "first_name" in body["message"] and "{customer_first_name}" in body["message"]
    status, body = api("PUT", "/admin/settings", {"version": 0, "settings": {"greeting": "Hi {"}})
    assert status == 422 and "unbalanced braces" in body["message"]


def test_the_saved_greeting_is_what_the_next_call_opens_with(api, shop, settings):
    assert "in these words" not in _brief(shop, settings).instructions
    greeting = "Morning {customer_first_name}, welcome to {shop_name}."
    status, body = api("PUT", "/admin/settings", {"version": 0, "settings": {"greeting": greeting}})
    assert status == 200 and body["settings"]["greeting"] == greeting
    shop_name = shop.shops.catalog().shop.name
    instructions = _brief(shop, settings).instructions
    assert (
        f'in these words: "Morning Alex, welcome to {shop_name}. '
        "I'm Robin, an AI assistant.\"" in instructions
    )
