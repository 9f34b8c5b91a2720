"""The tools API: `GET /tools` (definitions) and `POST /tools/<name>` (run one tool).

Thin on purpose: authenticate, parse, call `pitstop.tools.run_tool`, format. The same handler
serves a Lambda function URL on AWS and the local HTTP adapter (both speak event format v2).
On AWS the function URL itself enforces IAM auth; locally a bearer token stands in for it.
"""

from __future__ import annotations

import hmac
import json
import os
import time
import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from pitstop import config
from pitstop.dal import Crm
from pitstop.phone import mask_phone
from pitstop.telephony import telephony_for
from pitstop.tools import ToolContext, UnknownTool, definitions, run_tool

# GET /tools and refused requests publish no metric; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(service="tools")
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Pitstop"), service="tools"
)
app = LambdaFunctionUrlResolver()


class _Deps:
    """CRM and telephony, built once per settings (i.e. once per container on AWS)."""

    def __init__(self):
        self.settings = None
        self.crm = None
        self.telephony = None

    def refresh(self) -> None:
        settings = config.get_settings()
        if settings != self.settings:
            self.settings, self.crm, self.telephony = (
                settings,
                Crm(settings),
                telephony_for(settings),
            )


deps = _Deps()


def _json(status: int, body: dict) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body)
    )


def _authorised() -> bool:
    settings = deps.settings
    if settings.tools_auth != "token":
        return True  # AWS_IAM on the function URL: Lambda only runs for signed requests
    header = (
        app.current_event.headers.get("authorization")
        or app.current_event.headers.get("Authorization")
        or ""
    )
    return hmac.compare_digest(header.encode(), f"Bearer {settings.tools_token}".encode())


@app.get("/tools")
def list_tools():
    if not _authorised():
        return _json(401, {"error": "unauthorized"})
    return {"tools": definitions()}


@app.post("/tools/<name>")
def call_tool(name: str):
    if not _authorised():
        return _json(401, {"error": "unauthorized"})
    try:
        body = app.current_event.json_body or {}
    except ValueError as error:
        return _json(422, {"error": "invalid_request", "detail": f"the body is not JSON: {error}"})
    if not isinstance(body, dict) or not isinstance(body.get("arguments") or {}, dict):
        return _json(
            422,
            {
                "error": "invalid_request",
                "detail": 'the body must be {"arguments": {...}, "context": {...}}',
            },
        )
    try:
        context = ToolContext.model_validate(body.get("context") or {})
    except ValidationError as error:
        return _json(
            422,
            {
                "error": "invalid_context",
                "detail": json.loads(error.json(include_url=False, include_context=False)),
            },
        )
    logger.append_keys(
        call_sid=context.call_sid or None,
        caller=mask_phone(context.caller_phone),
        customer_id=context.customer_id,
        tool=name,
    )
    started = time.perf_counter()
    try:
        result = run_tool(name, body.get("arguments") or {}, context, deps.crm, deps.telephony)
    except UnknownTool:
        return _json(404, {"error": "unknown_tool", "detail": f"no tool named {name!r}"})
    except ValidationError as error:
        logger.info("invalid tool arguments", extra={"errors": error.error_count()})
        return _json(
            422,
            {
                "error": "invalid_arguments",
                "detail": json.loads(error.json(include_url=False, include_context=False)),
            },
        )
    latency = (time.perf_counter() - started) * 1000
    metrics.add_metric(name="ToolLatency", unit=MetricUnit.Milliseconds, value=latency)
    metrics.add_metadata(key="tool", value=name)
    logger.info(
        "tool ran",
        extra={
            "ok": result.get("ok"),
            "error": result.get("error"),
            "latency_ms": round(latency, 1),
        },
    )
    return {"result": result}


@app.exception_handler(Exception)
def _unexpected(error: Exception):
    logger.exception("tool failed")
    return _json(
        500, {"error": "internal_error", "detail": "the tool failed; try again or hand over"}
    )


@metrics.log_metrics
def lambda_handler(event: dict, context) -> dict:
    logger.clear_state()
    deps.refresh()
    return app.resolve(event, context)
