"""The console's admin API: `/admin/...` on the HTTP API, behind a Cognito JWT authorizer.

Thin on purpose: one middleware turns the verified token's claims into a staff member (no
claims, or not in a staff group: refused), the routes live in `calls`, `board`, `messages`,
`settings` and `catalog`, and refusals become JSON the console shows as they are. API Gateway
verifies the token before the Lambda runs; the local stack does the same with its development
token (pitstop_local).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.admin import board, calls, catalog, messages, reports, settings, test_calls
from functions.admin.services import Refusal, json_response
from pitstop.admin.staff import staff_from_claims
from pitstop.observability import logger, metrics, tracer

app = APIGatewayHttpResolver(enable_validation=True)


def _require_staff(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response:
    """Every route needs a verified token of someone in the `owners` or `advisors` group."""
    staff = staff_from_claims(app.current_event.request_context.authorizer.jwt_claim)
    if staff is None:
        raise Refusal(401, "unauthorized", "Sign in to use the console.")
    if not staff.is_staff:
        raise Refusal(403, "forbidden", "Your account is not in the owners or advisors group.")
    logger.append_keys(staff=staff.username)
    return next_middleware(app)


app.use(middlewares=[_require_staff])
for module in (calls, board, messages, settings, catalog, test_calls, reports):
    app.include_router(module.router)


def _errors(errors: Any) -> list[dict[str, Any]]:
    """Pydantic errors as JSON: where (`loc`) and why (`msg`), the form shows them per field."""
    return [
        {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in json.loads(json.dumps(list(errors), default=str))
    ]


def _message(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{'.'.join(e['loc'][-1:]) or 'request'}: {e['msg']}" for e in errors)


@app.exception_handler(Refusal)
def _refused(error: Refusal) -> Response[object]:
    return json_response(error.status, error.body)


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[object]:
    errors = _errors(error.errors())
    return json_response(
        422, {"error": "invalid_request", "message": _message(errors), "errors": errors}
    )


@app.exception_handler(ValidationError)
def _invalid_value(error: ValidationError) -> Response[object]:
    """A setting the agent's model refuses: 422 naming each field and why."""
    errors = _errors(error.errors())
    return json_response(
        422, {"error": "invalid_settings", "message": _message(errors), "errors": errors}
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
