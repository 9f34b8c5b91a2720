"""The local HTTP adapter's event: API Gateway HTTP API payload v2, as the handlers expect it."""

import base64

import pytest

from pitstop_local import http


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("/tools", http.TOOLS_HANDLER),
        ("/tools/book_appointment", http.TOOLS_HANDLER),
        ("/voice", http.WEBHOOK_HANDLER),
        ("/health", http.WEBHOOK_HANDLER),
        ("/toolshed", http.WEBHOOK_HANDLER),
    ],
)
def test_paths_route_to_their_lambda(path, module):
    assert http.handler_module_for(path) == module


def test_form_post_becomes_a_base64_v2_event():
    body = b"CallSid=CA1&From=%2B15551234567"
    event = http.build_event(
        "POST",
        "/voice/reminder?appointment_id=apt_1&customer_id=cus_1",
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "abc"},
        body,
    )
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/voice/reminder"
    assert event["rawQueryString"] == "appointment_id=apt_1&customer_id=cus_1"
    assert event["queryStringParameters"] == {"appointment_id": "apt_1", "customer_id": "cus_1"}
    assert event["headers"]["x-twilio-signature"] == "abc"
    assert event["requestContext"]["http"] == {
        "method": "POST",
        "path": "/voice/reminder",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "",
    }
    assert event["requestContext"]["stage"] == "$default"
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_json_body_stays_text_and_get_has_no_body():
    event = http.build_event("POST", "/tools/x", {"content-type": "application/json"}, b'{"a": 1}')
    assert (event["isBase64Encoded"], event["body"]) == (False, '{"a": 1}')
    get = http.build_event("GET", "/health", {}, b"")
    assert "body" not in get and get["rawQueryString"] == "" and "queryStringParameters" not in get


def test_repeated_query_values_are_comma_joined_like_api_gateway():
    event = http.build_event("GET", "/x?a=1&a=2&b=", {}, b"")
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}


def test_context_reports_remaining_time():
    context = http.LocalLambdaContext(function_name="webhook", timeout_ms=5000)
    assert 0 < context.get_remaining_time_in_millis() <= 5000
    assert context.invoked_function_arn.endswith(":function:webhook")
