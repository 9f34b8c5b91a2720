"""Webhook integrity: malformed callbacks, replayed answers, and the placeholder secret."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pitstop.secrets import PLACEHOLDER
from pitstop.stream_token import verify_token
from tests.integration.webhook.conftest import PUBLIC_URL, STREAM_KEY, sign, table_items
from tests.integration.webhook.shop import CUSTOMER_ID, CUSTOMER_PHONE, SHOP_PHONE

CALL = {
    "CallSid": "CA0000000000000000000000000000in01",
    "AccountSid": "AC0",
    "From": CUSTOMER_PHONE,
    "To": "+15005550006",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


@pytest.mark.parametrize("call_sid", [None, "", "   "])
def test_a_status_callback_without_a_call_sid_is_400_and_writes_nothing(seeded, twilio, call_sid):
    form = {"CallStatus": "completed", "CallDuration": "5"}
    if call_sid is not None:
        form["CallSid"] = call_sid
    before = table_items(seeded)
    result = twilio.post("/voice/status", form)
    assert result["statusCode"] == 400
    assert table_items(seeded) == before


def test_a_replayed_voice_request_gets_the_same_answer_and_no_second_record(seeded, twilio):
    first = twilio.post("/voice", CALL)
    after_first = table_items(seeded)
    replay = twilio.post("/voice", CALL)
    assert replay["statusCode"] == 200
    assert replay["body"] == first["body"]  # the same token, not a fresh one
    assert table_items(seeded) == after_first  # nothing written
    token = ET.fromstring(replay["body"]).find("./Connect/Stream/Parameter[@name='token']")
    token_id = verify_token(token.get("value"), CALL["CallSid"], "inbound", STREAM_KEY)
    assert seeded.calls.get(CALL["CallSid"]).stream_token_id == token_id


def test_the_call_record_carries_the_context_the_bridge_trusts(seeded, twilio):
    twilio.post("/voice", CALL)
    context = seeded.calls.context(CALL["CallSid"])
    assert context.model_dump() == {
        "call_sid": CALL["CallSid"],
        "direction": "inbound",
        "customer_number": CUSTOMER_PHONE,
        "customer_id": CUSTOMER_ID,
        "appointment_id": None,
        "shop_id": "demo",
        "resume_reason": None,  # a first stream: not back from an unanswered handoff
        "handoff_reason": None,
    }


@pytest.mark.parametrize(
    "secret", [{"TWILIO_AUTH_TOKEN": PLACEHOLDER}, {"TWILIO_ACCOUNT_SID": PLACEHOLDER}]
)
def test_a_placeholder_twilio_secret_is_never_accepted(
    seeded, twilio, monkeypatch, secret, log_lines, capsys
):
    for name, value in secret.items():
        monkeypatch.setenv(name, value)
    before = table_items(seeded)
    # Signed with the placeholder itself (anyone who read the template can), or with a real token.
    token = secret.get("TWILIO_AUTH_TOKEN")
    result = twilio.post(
        "/voice", CALL, signature=sign(PUBLIC_URL + "/voice", CALL, token) if token else "auto"
    )
    assert result["statusCode"] == 200
    root = ET.fromstring(result["body"])
    assert [child.tag for child in root] == ["Say", "Dial"]  # the shop, not the agent
    assert root.find("Dial").text == SHOP_PHONE
    assert table_items(seeded) == before  # no call record, no token
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert len(errors) == 1 and "placeholder" in errors[0]["message"]
    assert '"PlaceholderSecret"' in capsys.readouterr().out  # the metric the alarm watches
