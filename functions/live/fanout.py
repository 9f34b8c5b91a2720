"""The table's stream → the live view: every call change, to every open console of the shop.

The event source mapping passes only call items (a filter on the key), so most batches have
something to say. The live view is best effort: a connection `@connections` calls gone is
forgotten at once; any other failure to one browser is logged and skipped, never retried, so one
bad connection cannot hold the batch (and a retried batch would repeat lines to everyone else).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from functions.live import services
from pitstop.admin.live import live_messages
from pitstop.observability import logger, metrics, tracer


def _send(connection_id: str, frames: list[bytes]) -> bool:
    """Post every frame to one connection; False when the connection is gone (or failing)."""
    client = services.management_api()
    for frame in frames:
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=frame)
        except client.exceptions.GoneException:
            services.connections().remove(connection_id)
            logger.info("live connection gone", extra={"connection_id": connection_id})
            return False
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            logger.warning("live post failed", extra={"connection_id": connection_id, "code": code})
            return False
    return True


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    messages = live_messages(event.get("Records") or [])
    if not messages:
        return {"messages": 0, "delivered": 0}
    frames = [json.dumps(message).encode() for message in messages]
    connection_ids = services.connections().ids(services.now())
    delivered = sum(_send(connection_id, frames) for connection_id in connection_ids)
    metrics.add_metric(name="LiveMessages", unit=MetricUnit.Count, value=len(frames))
    logger.info(
        "live fan-out",
        extra={"messages": len(frames), "connections": len(connection_ids), "delivered": delivered},
    )
    return {"messages": len(frames), "delivered": delivered}
