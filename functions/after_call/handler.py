"""The table's stream → after-call processing: summary and cost of each finished call, once.

Thin: Powertools parses the stream batch and reports partial failures (a record whose
processing raised is retried, the others are not), the work is `pitstop.after_call`. The event
source mapping only passes call records (a filter on the key), and the conditional write in
the data layer makes a retried or duplicated record harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pitstop import config
from pitstop.after_call import AfterCall
from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.observability import logger, metrics, tracer
from pitstop.secrets import openai_api_key
from pitstop.summary import openai_client

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@lru_cache(maxsize=1)
def _after_call(settings: Settings) -> AfterCall:
    """One per container (keyed by the settings: tests and the local stack swap them)."""
    return AfterCall(Crm(settings), openai_client(openai_api_key()))


def after_call() -> AfterCall:
    return _after_call(config.get_settings())


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb else None
    if image:
        after_call().process(image, datetime.now(UTC))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
