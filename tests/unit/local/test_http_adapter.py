"""The local HTTP adapter, as API Gateway and a function URL would be.

The events it builds from real HTTP requests are checked against Powertools' own payload v2 models
(the offline engine's events are checked against the Realtime models the same way): a stand-in
that sent what AWS never sends would let a handler pass locally and fail deployed. Its listener
queues a burst of connections instead of dropping them.
"""

from __future__ import annotations

import base64
import http.client
import socket

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    LambdaFunctionUrlModel,
)

from pitstop_local import http as adapter

FORM = b"CallSid=CA1&From=%2B15551234567&SpeechResult=oil+change"
OK = {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "ok"}


@pytest.fixture
def events(monkeypatch):
    """Every event the adapter hands to a Lambda, over a real server on a free port."""
    seen: list[dict] = []

    def invoke(event: dict) -> dict:
        seen.append(event)
        return OK

    monkeypatch.setattr(adapter, "invoke", invoke)
    server = adapter.serve_lambdas("127.0.0.1", 0)
    yield server, seen
    server.stop()


def _request(server, method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""):
    """One request with headers exactly as given (names may repeat, as on the wire)."""
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body or None)
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"ok")
    finally:
        connection.close()


def test_twilio_form_post_is_an_http_api_v2_event(events):
    server, seen = events
    _request(
        server,
        "POST",
        "/voice/reminder?appointment_id=apt_1&customer_id=cus_1",
        [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", "c2lnbmF0dXJl"),
            ("User-Agent", "TwilioProxy/1.1"),
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-For", "198.51.100.2"),
            ("Cookie", "a=1; b=2"),
        ],
        FORM,
    )
    event = APIGatewayProxyEventV2Model.model_validate(seen[0])
    assert (event.version, event.routeKey, event.rawPath) == ("2.0", "$default", "/voice/reminder")
    assert event.rawQueryString == "appointment_id=apt_1&customer_id=cus_1"
    assert event.queryStringParameters == {"appointment_id": "apt_1", "customer_id": "cus_1"}
    assert event.headers["x-twilio-signature"] == "c2lnbmF0dXJl"
    assert event.headers["x-forwarded-for"] == "203.0.113.7,198.51.100.2"
    assert all(name == name.lower() for name in event.headers)
    assert event.cookies == ["a=1", "b=2"] and "cookie" not in event.headers
    assert event.isBase64Encoded is True
    assert isinstance(event.body, str) and base64.b64decode(event.body) == FORM
    context = event.requestContext
    assert (context.http.method, context.http.path) == ("POST", "/voice/reminder")
    assert (context.http.userAgent, seen[0]["requestContext"]["http"]["sourceIp"]) == (
        "TwilioProxy/1.1",
        "127.0.0.1",
    )
    assert (context.domainName, context.stage) == ("127.0.0.1", "$default")
    assert context.timeEpoch.year >= 2024


def test_tools_json_post_is_a_function_url_event(events):
    server, seen = events
    body = b'{"arguments": {"day": "2026-11-27"}, "context": {"call_sid": "CA1"}}'
    _request(
        server,
        "POST",
        "/tools/check_availability",
        [("Content-Type", "application/json"), ("Authorization", "Bearer t")],
        body,
    )
    event = LambdaFunctionUrlModel.model_validate(seen[0])
    assert (event.routeKey, event.requestContext.routeKey, event.requestContext.stage) == (
        "$default",
        "$default",
        "$default",
    )
    assert (event.rawPath, event.rawQueryString, event.queryStringParameters) == (
        "/tools/check_availability",
        "",
        None,
    )
    assert event.headers["authorization"] == "Bearer t"
    assert (event.isBase64Encoded, event.body) == (False, body.decode())
    assert event.cookies is None and event.requestContext.authorizer is None


@pytest.mark.parametrize("model", [APIGatewayProxyEventV2Model, LambdaFunctionUrlModel])
def test_get_with_a_query_string_is_valid_for_both_models(events, model):
    server, seen = events
    _request(server, "GET", "/tools?a=1&a=2&q=oil%20change&empty=", [("Accept", "*/*")])
    event = model.model_validate(seen[0])
    assert event.rawQueryString == "a=1&a=2&q=oil%20change&empty="
    assert event.queryStringParameters == {"a": "1,2", "q": "oil change", "empty": ""}
    assert (event.body, event.isBase64Encoded) == (None, False)
    assert event.requestContext.http.method == "GET"


def test_fifty_connections_at_once_all_get_answers(monkeypatch):
    monkeypatch.setattr(adapter, "invoke", lambda event: OK)
    server = adapter.LambdaHttpServer("127.0.0.1", 0)  # listening, not accepting yet
    sockets: list[socket.socket] = []
    try:
        # Every connection waits in the listen backlog until the server starts accepting; with
        # the old backlog of 5 the seventh connect would time out here.
        for _ in range(50):
            sockets.append(socket.create_connection((server.host, server.port), timeout=2))
        server.start()
        for client in sockets:
            client.sendall(b"GET /health HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
        replies = [_read_to_end(client) for client in sockets]
    finally:
        for client in sockets:
            client.close()
        server.stop()
    assert len(replies) == 50
    assert all(reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"ok") for reply in replies)


def _read_to_end(client: socket.socket) -> bytes:
    client.settimeout(10)
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
