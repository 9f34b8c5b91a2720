"""`$connect` of the live view: the Cognito access token in `?token=`, then the connection stored.

A browser's WebSocket cannot send an Authorization header, so the console puts its access token
in the query string (wss only, and API Gateway keeps query strings out of our access log format).
Any answer other than 2xx makes API Gateway refuse the upgrade with that status.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import APIGatewayWebSocketConnectEventModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from functions.live import services
from functions.live.auth import verified_staff
from pitstop import config
from pitstop.observability import logger, metrics, tracer


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    """Powertools' $connect model plus the query string (absent when the URL has none)."""

    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")


def _status(code: int) -> dict[str, Any]:
    return {"statusCode": code}


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=ConnectEvent)
def lambda_handler(event: ConnectEvent, context: LambdaContext) -> dict[str, Any]:
    connection_id = event.request_context.connection_id
    logger.append_keys(connection_id=connection_id)
    live = services.live_settings()
    staff = verified_staff(
        (event.query_string_parameters or {}).get("token", ""),
        services.cognito(),
        region=config.get_settings().aws_region,
        user_pool_id=live.user_pool_id,
        client_id=live.user_pool_client_id,
    )
    if staff is None:
        logger.info("live view refused: no valid token")
        return _status(401)
    if not staff.is_staff:
        logger.info("live view refused: not staff", extra={"staff": staff.username})
        return _status(403)
    services.connections().add(connection_id, staff.username, services.now())
    logger.info("live view connected", extra={"staff": staff.username})
    return _status(200)
