"""`$disconnect` of the live view: forget the connection (TTL forgets it anyway if this is missed).

API Gateway delivers `$disconnect` on a best-effort basis, which is why connections also carry a
TTL and the fan-out drops any connection `@connections` calls gone.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import APIGatewayWebSocketDisconnectEventModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.live import services
from pitstop.observability import logger, metrics, tracer


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
@event_parser(model=APIGatewayWebSocketDisconnectEventModel)
def lambda_handler(
    event: APIGatewayWebSocketDisconnectEventModel, context: LambdaContext
) -> dict[str, Any]:
    connection_id = event.request_context.connection_id
    services.connections().remove(connection_id)
    logger.info("live view disconnected", extra={"connection_id": connection_id})
    return {"statusCode": 200}
