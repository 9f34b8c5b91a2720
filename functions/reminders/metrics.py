"""Metrics (Powertools EMF) of a reminder run: due, dialled, skipped by reason, failed."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from functions.reminders.run import RunSummary
from pitstop.observability import count_by, metrics


def publish(summary: RunSummary) -> None:
    """Add the run's counts; `RemindersSkipped` goes out once per reason (its own dimension set)."""
    if summary.dry_run:
        return  # a dry run changed nothing and must not look like one that did
    metrics.add_metric(name="RemindersDue", unit=MetricUnit.Count, value=summary.due)
    metrics.add_metric(name="RemindersDialled", unit=MetricUnit.Count, value=summary.dialled)
    metrics.add_metric(name="RemindersReconciled", unit=MetricUnit.Count, value=summary.reconciled)
    metrics.add_metric(name="RemindersFailed", unit=MetricUnit.Count, value=summary.failed)
    for reason, count in sorted(summary.skipped.items()):
        count_by("RemindersSkipped", "reason", reason, count)
