"""POST /voice against moto's DynamoDB: signed → TwiML + call record; forged → 403, no writes."""

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from functions.webhook import handler
from pitstop.dal.call_setup import CallSetupReader
from pitstop.dal.calls import CallRepository
from pitstop.models import AgentSettings
from pitstop.stream_token import InvalidStreamToken, verify_token
from tests.integration.webhook.conftest import BRIDGE_URL, PUBLIC_URL, STREAM_KEY, sign, table_items
from tests.integration.webhook.shop import (
    CUSTOMER_ID,
    CUSTOMER_PHONE,
    SHOP_NAME,
    SHOP_PHONE,
    seed_shop,
)

CALL = {
    "CallSid": "CA0000000000000000000000000000ab01",
    "AccountSid": "AC0",
    "From": CUSTOMER_PHONE,
    "To": "+15005550006",
    "CallStatus": "ringing",
    "Direction": "inbound",
    "CallerName": "",
}


def _stream_params(result):
    assert result["statusCode"] == 200
    assert result["headers"]["Content-Type"] == "text/xml"
    root = ET.fromstring(result["body"])
    stream = root.find("./Connect/Stream")
    assert stream is not None, result["body"]
    return (
        root,
        stream.get("url"),
        {p.get("name"): p.get("value") for p in stream.findall("Parameter")},
    )


def test_signed_call_from_a_customer_streams_with_context_and_token(seeded, twilio):
    root, url, params = _stream_params(twilio.post("/voice", CALL))
    assert [child.tag for child in root] == ["Connect"]
    assert url == BRIDGE_URL
    assert {k: v for k, v in params.items() if k != "token"} == {
        "direction": "inbound",
        "customer_number": CUSTOMER_PHONE,
        "customer_id": CUSTOMER_ID,
        "shop_id": "demo",
        "appointment_id": "",
    }
    verify_token(params["token"], CALL["CallSid"], "inbound", STREAM_KEY)


def test_stream_token_is_for_this_call_only_and_expires(seeded, twilio):
    _, _, params = _stream_params(twilio.post("/voice", CALL))
    token, sid = params["token"], CALL["CallSid"]
    expires = int(token.split(".")[0])
    verify_token(token, sid, "inbound", STREAM_KEY, now=expires - 1)
    with pytest.raises(InvalidStreamToken):
        verify_token(token, "CA_another_call", "inbound", STREAM_KEY, now=expires - 1)
    with pytest.raises(InvalidStreamToken):
        verify_token(token, sid, "reminder", STREAM_KEY, now=expires - 1)
    with pytest.raises(InvalidStreamToken, match="expired"):
        verify_token(token, sid, "inbound", STREAM_KEY, now=expires + 1)


def test_the_call_record_is_created(seeded, twilio):
    twilio.post("/voice", CALL)
    record = seeded.calls.get(CALL["CallSid"])
    assert (record.direction, record.customer_number, record.customer_id, record.status) == (
        "inbound",
        CUSTOMER_PHONE,
        CUSTOMER_ID,
        "ringing",
    )
    assert record.started_at is not None and record.outcome is None


def test_unknown_and_withheld_callers_stream_without_a_customer(seeded, twilio):
    _, _, params = _stream_params(twilio.post("/voice", {**CALL, "From": "+15559990000"}))
    assert (params["customer_number"], params["customer_id"]) == ("+15559990000", "")
    _, _, params = _stream_params(
        twilio.post("/voice", {**CALL, "CallSid": "CA2", "From": "+266696687"})
    )
    assert (params["customer_number"], params["customer_id"]) == ("", "")


def test_recording_notice_is_spoken_before_connecting(crm, webhook_settings, twilio):
    notice = "This call is recorded for quality."
    seed_shop(crm, AgentSettings(recording_enabled=True, recording_notice=notice))
    root, _, _ = _stream_params(twilio.post("/voice", CALL))
    assert [child.tag for child in root] == ["Say", "Connect"]
    assert root.find("Say").text == "This call is recorded for quality."


@pytest.mark.parametrize("agent", [AgentSettings(), AgentSettings(agent_enabled=False)])
def test_fallback_when_the_bridge_is_off_or_the_agent_disabled(
    crm, webhook_settings, twilio, agent
):
    seed_shop(crm, agent)
    crm.heartbeats.beat("task-dead", datetime.now(UTC) - timedelta(minutes=5))  # a dead fleet
    result = twilio.post("/voice", CALL)
    root = ET.fromstring(result["body"])
    assert result["statusCode"] == 200
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == SHOP_PHONE
    assert SHOP_NAME in root.find("Say").text
    record = crm.calls.get(CALL["CallSid"])
    assert record.outcome == "handed_off"
    assert record.handoff_reason == (
        "bridge_unavailable" if agent.agent_enabled else "agent_disabled"
    )


@pytest.mark.parametrize(
    "forgery",
    [
        {
            "params": {**CALL, "From": "+15550001111"},
            "signature": sign(PUBLIC_URL + "/voice", CALL),
        },  # tampered
        {"params": CALL, "signature": sign("https://elsewhere.test/voice", CALL)},  # wrong URL
        {"params": CALL, "signature": sign(PUBLIC_URL + "/voice/status", CALL)},  # other route
        {"params": CALL, "signature": None},  # no header
        {
            "params": CALL,
            "signature": sign(PUBLIC_URL + "/voice", CALL, token="not-our-token"),
        },  # wrong token
    ],
    ids=["tampered-body", "wrong-url", "other-route", "no-header", "wrong-token"],
)
def test_forged_request_gets_403_and_leaves_the_table_unchanged(
    seeded, twilio, monkeypatch, capsys, forgery
):
    before = table_items(seeded)
    reads = []
    monkeypatch.setattr(handler, "_crm", reads.append)
    result = twilio.post("/voice", forgery["params"], signature=forgery["signature"])
    assert result["statusCode"] == 403
    assert reads == []  # the CRM was never even opened
    assert table_items(seeded) == before
    metrics = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    names = [m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] for m in metrics]
    assert names == ["ForgedRequests"]
    assert metrics[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Pitstop"


def test_forged_request_with_a_real_table_counts_items(seeded, twilio):
    count = len(table_items(seeded))
    assert twilio.post("/voice", CALL, signature="Zm9yZ2Vk").get("statusCode") == 403
    assert len(table_items(seeded)) == count
    assert seeded.calls.get(CALL["CallSid"]) is None


def test_inbound_call_is_counted_and_logged_with_call_sid_and_masked_number(
    seeded, twilio, capsys, log_lines
):
    twilio.post("/voice", CALL)
    out = capsys.readouterr().out
    assert '"InboundCalls":[1.0]' in out
    lines = log_lines()
    assert lines and all(line["call_sid"] == CALL["CallSid"] for line in lines)
    assert CUSTOMER_PHONE not in json.dumps(lines)
    assert any(line.get("customer_number") == "+1******4567" for line in lines)
    # keys do not leak into the next request's lines
    twilio.post("/voice", {**CALL, "CallSid": "CA_next"})
    assert log_lines()[-1]["call_sid"] == "CA_next"


def test_failure_after_the_shop_was_read_falls_back_to_the_shop(
    seeded, twilio, monkeypatch, log_lines
):
    def broken(*args, **kwargs):
        raise RuntimeError("DynamoDB is having a bad day")

    monkeypatch.setattr(CallRepository, "open_stream", broken)
    result = twilio.post("/voice", CALL)
    root = ET.fromstring(result["body"])
    assert result["statusCode"] == 200
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == SHOP_PHONE
    failure = [line for line in log_lines() if line["level"] == "ERROR"]
    assert failure and failure[0]["call_sid"] == CALL["CallSid"] and "exception" in failure[0]


def test_failure_before_anything_was_read_still_answers_twiml(seeded, twilio, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("table unreachable")

    monkeypatch.setattr(CallSetupReader, "read", broken)
    result = twilio.post("/voice", {**CALL, "CallSid": "CA_cold"})
    assert result["statusCode"] == 200
    root = ET.fromstring(result["body"])
    assert root.find("Say") is not None and root.find("./Connect") is None


def test_health_needs_no_signature(twilio, webhook_settings):
    from pitstop_local.http import LocalLambdaContext, build_event

    result = handler.lambda_handler(
        build_event("GET", "/health", {}, b""), LocalLambdaContext(function_name="webhook")
    )
    assert result["statusCode"] == 200 and json.loads(result["body"])["ok"] is True
