"""Webhook fixtures: the handler pointed at a fresh moto table, and a Twilio that signs requests."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import urlencode

import pytest
from aws_lambda_powertools.metrics.provider import cold_start
from twilio.request_validator import RequestValidator

from pitstop.config import Settings, get_settings
from pitstop_local.http import LocalLambdaContext, build_event
from tests.integration.webhook.shop import seed_shop

AUTH_TOKEN = "webhook-test-auth-token"
STREAM_KEY = "webhook-test-stream-key"
PUBLIC_URL = "https://hooks.pitstop.test"
BRIDGE_URL = "wss://bridge.pitstop.test/media-stream"


def table_items(crm) -> list[dict]:
    """Every item in the test's table (a test table holds a handful of items)."""
    return crm.table.scan(ConsistentRead=True)["Items"]


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def form_request(
    path: str,
    params: dict[str, str],
    query: str = "",
    *,
    signature: str | None = "auto",
    body: str | None = None,
) -> tuple[str, dict[str, str], bytes]:
    """(target, headers, body) of a Twilio form POST, signed as Twilio would unless told not to."""
    target = f"{path}?{query}" if query else path
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "TwilioProxy/1.1",
        "Host": "hooks.pitstop.test",
    }
    if signature == "auto":
        signature = sign(PUBLIC_URL + target, params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    return target, headers, (urlencode(params) if body is None else body).encode()


class Twilio:
    """Posts to the webhook Lambda as Twilio would, through the local adapter's event builder."""

    def post(self, path: str, params: dict[str, str], query: str = "", **kwargs) -> dict:
        from functions.webhook.handler import lambda_handler

        target, headers, body = form_request(path, params, query, **kwargs)
        event = build_event("POST", target, headers, body)
        return lambda_handler(event, LocalLambdaContext(function_name="webhook"))


@pytest.fixture
def webhook_settings(settings, monkeypatch) -> Settings:
    """Point the handler (which reads the environment, as in AWS) at this test's table."""
    env = {
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "PITSTOP_SHOP_ID": settings.shop_id,
        "PITSTOP_PUBLIC_URL": PUBLIC_URL,
        "PITSTOP_BRIDGE_URL": BRIDGE_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PITSTOP_STREAM_TOKEN_KEY": STREAM_KEY,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("PITSTOP_TWILIO_SECRET_ARN", "PITSTOP_STREAM_TOKEN_KEY_ARN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def seeded(crm, webhook_settings):
    """The test's table holds the shop, a known customer and their appointment."""
    seed_shop(crm)
    return crm


@pytest.fixture
def twilio(monkeypatch) -> Twilio:
    # A warm container: the once-per-process ColdStart metric is not what these tests count.
    monkeypatch.setattr(cold_start, "is_cold_start", False)
    return Twilio()


@pytest.fixture
def log_lines():
    """The webhook logger's JSON lines, formatted exactly as in Lambda."""
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    from functions.webhook import handler

    capture.setFormatter(handler.logger.registered_formatter)
    python_logger = logging.getLogger(handler.logger.name)  # named after POWERTOOLS_SERVICE_NAME
    python_logger.addHandler(capture)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    python_logger.removeHandler(capture)
