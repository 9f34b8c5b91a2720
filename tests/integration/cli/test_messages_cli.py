"""`pitstop messages list|handle` against a moto table: what the shop's operator sees and closes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pitstop.cli import main
from pitstop.models import Message, MessageStatus, MessageUrgency

AT = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)


def _cli(monkeypatch, settings, capsys, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("PITSTOP_TABLE", settings.table_name)
    monkeypatch.setenv("PITSTOP_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint)
    monkeypatch.setenv("PITSTOP_SHOP_ID", settings.shop_id)
    code = main(["messages", *argv])
    return code, capsys.readouterr().out


def test_list_shows_new_messages_masked_then_handle_closes_one(crm, settings, monkeypatch, capsys):
    first = crm.messages.add(
        Message(
            shop_id=settings.shop_id,
            caller_name="Alex Morgan",
            callback_number="+15551230001",
            about="brakes squeal",
            urgency=MessageUrgency.SOON,
            created_at=AT,
        )
    )
    crm.messages.add(Message(shop_id=settings.shop_id, about="a quote", created_at=AT))

    code, out = _cli(monkeypatch, settings, capsys, "list")
    assert code == 0 and out.count("\n") == 2
    assert "Alex Morgan" in out and "[soon]" in out and "brakes squeal" in out
    assert "+15551230001" not in out and "0001" in out  # the number is masked

    code, out = _cli(monkeypatch, settings, capsys, "handle", first.message_id, "--by", "sam")
    assert code == 0 and "handled by sam" in out
    assert crm.messages.get(first.message_id).status is MessageStatus.HANDLED

    code, out = _cli(monkeypatch, settings, capsys, "list", "--json")
    assert [m["about"] for m in json.loads(out)] == ["a quote"]
    code, out = _cli(monkeypatch, settings, capsys, "list", "--status", "handled", "--json")
    assert [(m["message_id"], m["handled_by"]) for m in json.loads(out)] == [
        (first.message_id, "sam")
    ]


def test_handling_an_unknown_message_fails(crm, settings, monkeypatch, capsys):
    code, out = _cli(monkeypatch, settings, capsys, "handle", "msg_nope")
    assert code == 1 and "no message msg_nope" in out
