"""The local HTTP adapter over real HTTP: a signed request end to end, a forged one refused."""

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from pitstop.stream_token import verify_token
from pitstop_local.http import serve_lambdas
from tests.integration.webhook.conftest import STREAM_KEY, form_request, table_items
from tests.integration.webhook.shop import CUSTOMER_ID, CUSTOMER_PHONE

CALL = {
    "CallSid": "CA00000000000000000000000000ht0001",
    "From": CUSTOMER_PHONE,
    "To": "+15005550006",
    "CallStatus": "ringing",
}


@pytest.fixture
def server(webhook_settings):
    server = serve_lambdas("127.0.0.1", 0)
    yield server
    server.stop()


def _post(server, path, params, **kwargs):
    target, headers, body = form_request(path, params, **kwargs)
    request = urllib.request.Request(server.url + target, data=body, headers=headers, method="POST")
    return urllib.request.urlopen(request, timeout=10)


def test_signed_voice_request_gets_twiml_over_http(seeded, server):
    with _post(server, "/voice", CALL) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/xml"
        root = ET.fromstring(response.read())
    params = {p.get("name"): p.get("value") for p in root.findall("./Connect/Stream/Parameter")}
    assert params["customer_id"] == CUSTOMER_ID and params["direction"] == "inbound"
    verify_token(params["token"], CALL["CallSid"], "inbound", STREAM_KEY)
    assert seeded.calls.get(CALL["CallSid"]).customer_id == CUSTOMER_ID


def test_forged_request_over_http_is_403_and_changes_nothing(seeded, server):
    before = table_items(seeded)
    with pytest.raises(urllib.error.HTTPError) as refused:
        _post(server, "/voice", CALL, signature="Zm9yZ2Vk")
    refused.value.close()
    assert refused.value.code == 403
    assert table_items(seeded) == before


def test_health_and_unknown_routes(server):
    with urllib.request.urlopen(server.url + "/health", timeout=10) as response:
        assert response.status == 200 and json.loads(response.read())["ok"] is True
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server.url + "/nope", timeout=10)
    missing.value.close()
    assert missing.value.code == 404


def test_concurrent_requests_are_served(seeded, server):
    from concurrent.futures import ThreadPoolExecutor

    def call(n):
        with _post(server, "/voice", {**CALL, "CallSid": f"CA_par_{n}"}) as response:
            return response.status, ET.fromstring(response.read()).find(
                "./Connect/Stream"
            ) is not None

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(16))) == [(200, True)] * 16


def test_tools_paths_go_to_the_tools_lambda_with_json_and_base64_replies(server, monkeypatch):
    import base64
    import sys
    import types

    seen = []

    def lambda_handler(event, context):
        seen.append((event, context))
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "application/octet-stream"},
            "body": base64.b64encode(b"\x00\x01raw").decode(),
            "isBase64Encoded": True,
        }

    fake = types.ModuleType("functions.tools.handler")
    fake.lambda_handler = lambda_handler
    monkeypatch.setitem(sys.modules, "functions.tools.handler", fake)
    request = urllib.request.Request(
        server.url + "/tools/decode_vin?x=1",
        data=b'{"arguments": {}}',
        headers={"Content-Type": "application/json", "Authorization": "Bearer t"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert (response.status, response.read()) == (201, b"\x00\x01raw")
    event, context = seen[0]
    assert (event["rawPath"], event["rawQueryString"], event["body"]) == (
        "/tools/decode_vin",
        "x=1",
        '{"arguments": {}}',
    )
    assert event["headers"]["authorization"] == "Bearer t" and event["isBase64Encoded"] is False
    assert context.function_name == "tools"
