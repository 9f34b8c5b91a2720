"""`take_message` through `run_tool` over moto: stored (new), linked, the advisor texted, closed."""

from __future__ import annotations

from pitstop.models import AgentSettings, MessageStatus
from pitstop.telephony import read_outbox
from tests.integration.tools.conftest import ALEX, NOW

ADVISOR = "+15551238888"


def test_take_message_stores_it_and_texts_the_advisor(shop, tool, settings):
    shop.shops.put_settings(AgentSettings(advisor_number=ADVISOR))
    result = tool(
        "take_message",
        {
            "caller_name": "Alex Morgan",
            "about": "brakes squeal after the last service",
            "vehicle": "2019 Toyota Camry",
            "callback_when": "tomorrow morning",
            "urgency": "soon",
        },
    )
    assert result["ok"] and result["advisor_notified"]
    [message] = shop.messages.list(MessageStatus.NEW)
    assert (message.customer_id, message.callback_number, message.urgency) == (
        "cus_alex",
        ALEX.customer_number,  # defaults to the number they call from
        "soon",
    )
    [sms] = [e for e in read_outbox(settings.outbox_path) if e["kind"] == "sms"]
    assert sms["to"] == ADVISOR and "brakes squeal" in sms["body"]
    handled = shop.messages.handle(message.message_id, "sam", NOW)
    assert handled.status == "handled" and shop.messages.list(MessageStatus.NEW) == []
    assert shop.messages.handle(message.message_id, "kim", NOW).handled_by == "sam"


def test_without_an_advisor_number_the_message_is_still_kept(shop, tool, settings):
    result = tool("take_message", {"caller_name": "Alex", "about": "a quote"})
    assert result["ok"] and not result["advisor_notified"]
    assert len(shop.messages.list()) == 1 and read_outbox(settings.outbox_path) == []
