"""CloudWatch metrics (Powertools EMF) for a reminder run: due, dialled, skipped by reason, failed."""

from __future__ import annotations

import os

from aws_lambda_powertools import Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from functions.reminders.run import RunSummary

SERVICE = "reminders"


def namespace() -> str:
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Pitstop")


metrics = Metrics(namespace=namespace(), service=SERVICE)


def publish(summary: RunSummary, sink: Metrics = metrics) -> None:
    """Add the run's counts; `RemindersSkipped` goes out once per reason (its own dimension set)."""
    if summary.dry_run:
        return  # a dry run changed nothing and must not look like one that did
    sink.add_metric(name="RemindersDue", unit=MetricUnit.Count, value=summary.due)
    sink.add_metric(name="RemindersDialled", unit=MetricUnit.Count, value=summary.dialled)
    sink.add_metric(name="RemindersFailed", unit=MetricUnit.Count, value=summary.failed)
    for reason, count in sorted(summary.skipped.items()):
        with single_metric(
            name="RemindersSkipped",
            unit=MetricUnit.Count,
            value=count,
            namespace=namespace(),
            default_dimensions={"service": SERVICE},
        ) as metric:
            metric.add_dimension(name="reason", value=reason)
