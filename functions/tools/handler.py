"""The tools API: `GET /tools` (definitions) and `POST /tools/<name>` (run one tool).

Thin on purpose: authenticate (one middleware), let the resolver validate the body against
`ToolRequest`, call `pitstop.tools.run_tool`, format. The same handler serves a Lambda function
URL on AWS and the local HTTP adapter (both speak event format v2). On AWS the function URL
itself enforces IAM auth; locally a bearer token stands in for it.

The resolver validates a request before any middleware runs, so locally a malformed body from a
caller without the token gets 422, not 401; on AWS such a request never reaches the Lambda.
"""

from __future__ import annotations

import hmac
import json
import time
from functools import lru_cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import UnauthorizedError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pitstop import config
from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.observability import logger, mask_phone, metrics, tracer
from pitstop.telephony import Telephony, telephony_for
from pitstop.tools import ToolContext, UnknownTool, definitions, run_tool

app = LambdaFunctionUrlResolver(enable_validation=True)


class ToolRequest(BaseModel):
    """The body of `POST /tools/<name>`: the model's arguments, and who is on the call."""

    model_config = ConfigDict(extra="ignore")

    arguments: dict[str, Any] = Field(default_factory=dict)
    context: ToolContext = Field(default_factory=ToolContext)

    @field_validator("arguments", "context", mode="before")
    @classmethod
    def _absent_is_empty(cls, value: object) -> object:
        return value or {}  # `null` (or nothing) means no arguments / an anonymous context


@lru_cache(maxsize=1)
def _services(settings: Settings) -> tuple[Crm, Telephony]:
    """CRM and telephony, built once per settings (i.e. once per container on AWS)."""
    return Crm(settings), telephony_for(settings)


def _json(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    """A JSON response; the resolver serialises `body` (checked against the route's type)."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _require_token(app: LambdaFunctionUrlResolver, next_middleware: NextMiddleware) -> Response:
    """Locally, the bearer token; with `iam` the function URL has already checked the caller."""
    settings = config.get_settings()
    if settings.tools_auth == "token":
        header = app.current_event.headers.get("authorization") or ""
        if not hmac.compare_digest(header.encode(), f"Bearer {settings.tools_token}".encode()):
            raise UnauthorizedError("unauthorized")
    return next_middleware(app)


app.use(middlewares=[_require_token])


@app.get("/tools")
def list_tools() -> dict[str, Any]:
    return {"tools": definitions()}


@app.post("/tools/<name>")
def call_tool(
    name: str, request: Annotated[ToolRequest, Body(default_factory=ToolRequest)]
) -> Response[dict[str, Any]]:
    context = request.context
    logger.thread_safe_append_keys(
        call_sid=context.call_sid or None,
        customer_number=mask_phone(context.customer_number),
        customer_id=context.customer_id,
        tool=name,
    )
    crm, telephony = _services(config.get_settings())
    started = time.perf_counter()
    try:
        result = run_tool(
            name, request.arguments, context, crm, telephony, lambda_context=app.lambda_context
        )
    except UnknownTool:
        return _json(404, {"error": "unknown_tool", "detail": f"no tool named {name!r}"})
    except ValidationError as error:
        logger.info("invalid tool arguments", extra={"errors": error.error_count()})
        return _json(422, {"error": "invalid_arguments", "detail": _errors(error.errors())})
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
    return _json(200, {"result": result})


def _errors(errors: Any, strip: int = 0) -> list[dict[str, Any]]:
    """Pydantic errors as JSON (type, loc, msg, input); `loc` without its first `strip` parts."""
    return [
        {"type": e["type"], "loc": list(e["loc"][strip:]), "msg": e["msg"], "input": e.get("input")}
        for e in json.loads(json.dumps(list(errors), default=str))
    ]


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
    """A body that is not JSON or not `{"arguments": {...}, "context": {...}}`: 422, saying why."""
    errors = list(error.errors())
    if errors and all(tuple(e["loc"][:2]) == ("body", "context") for e in errors):
        return _json(422, {"error": "invalid_context", "detail": _errors(errors, strip=2)})
    return _json(
        422,
        {
            "error": "invalid_request",
            "detail": 'the body must be JSON: {"arguments": {...}, "context": {...}}',
            "errors": _errors(errors),
        },
    )


@app.exception_handler(UnauthorizedError)
def _unauthorized(error: UnauthorizedError) -> Response[dict[str, Any]]:
    return _json(401, {"error": "unauthorized"})


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[dict[str, Any]]:
    logger.exception("tool failed")
    return _json(
        500, {"error": "internal_error", "detail": "the tool failed; try again or hand over"}
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL, clear_state=True
)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
