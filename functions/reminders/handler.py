"""Reminders Lambda: EventBridge Scheduler runs it (e.g. hourly by day); each run dials what is due.

Payload (all optional): `{"date": "YYYY-MM-DD", "dry_run": true}`. Re-delivery and Lambda retries
are safe: every dial is preceded by a conditional claim, so nothing is dialled twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.reminders.metrics import publish
from functions.reminders.run import run_reminders
from pitstop.config import get_settings
from pitstop.dal import Crm
from pitstop.observability import logger, metrics, tracer
from pitstop.telephony import telephony_for


def parse_event(event: object) -> tuple[date | None, bool]:
    """(day, dry_run) from the scheduler's input (or an EventBridge event's `detail`)."""
    payload = event if isinstance(event, dict) else {}
    if isinstance(payload.get("detail"), dict):
        payload = payload["detail"]
    day = date.fromisoformat(payload["date"]) if payload.get("date") else None
    return day, bool(payload.get("dry_run", False))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    day, dry_run = parse_event(event)
    settings = get_settings()
    summary = run_reminders(
        Crm(settings),
        telephony_for(settings),
        day=day,
        dry_run=dry_run,
        remaining_ms=context.get_remaining_time_in_millis,
    )
    publish(summary)
    result = summary.to_dict()
    logger.info(
        "reminder run summary",
        extra={k: v for k, v in result.items() if k not in ("calls", "skips")},
    )
    return result
