"""The HTTP tools client: bearer token locally, SigV4 for the IAM-authenticated function URL."""

from __future__ import annotations

import json

import httpx
import pytest

from media_bridge.tools_client import HttpToolsClient, ToolError


def client(handler, **kwargs) -> HttpToolsClient:
    return HttpToolsClient(
        "https://tools.example/tools",
        client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        **kwargs,
    )


async def test_token_auth_posts_arguments_and_context():
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        return httpx.Response(200, json={"result": {"ok": True, "found": False}})

    tools = client(handler, auth="token", token="secret")
    result = await tools.call("lookup_customer", {"phone": None}, {"call_sid": "CA1"})
    assert result == {"ok": True, "found": False}
    assert seen[0].url.path == "/tools/lookup_customer"
    assert seen[0].headers["Authorization"] == "Bearer secret"
    assert json.loads(seen[0].content) == {
        "arguments": {"phone": None},
        "context": {"call_sid": "CA1"},
    }


async def test_iam_auth_signs_with_sigv4_for_lambda(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        return httpx.Response(200, json={"tools": []})

    assert await client(handler, auth="iam", region="eu-west-1").definitions() == []
    authorization = seen[0].headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/lambda/aws4_request" in authorization
    assert "X-Amz-Date" in seen[0].headers


@pytest.mark.parametrize(
    ("status", "code"),
    [(422, "invalid_arguments"), (404, "unknown_tool"), (500, "tool_failed"), (401, "tool_failed")],
)
async def test_http_errors_become_tool_errors(status, code):
    tools = client(lambda request: httpx.Response(status, json={"error": "x"}))
    with pytest.raises(ToolError) as error:
        await tools.call("book_appointment", {}, {})
    assert error.value.code == code


async def test_unreachable_tools_api_is_a_tool_error():
    def handler(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(ToolError) as error:
        await client(handler).call("lookup_customer", {}, {})
    assert error.value.code == "tool_unreachable"
