"""Logs and metrics for a process that carries many calls at once.

Log lines are keyed by `call_sid` through a context variable (Powertools' thread-safe keys), so
each call's task — and every task or thread it starts — logs under its own SID while hundreds of
calls interleave on one event loop. Numbers are masked before they reach a log line.

Metrics are Powertools EMF, flushed on a timer because this is a long-lived process, not a Lambda.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from pitstop.phone import mask_phone

SERVICE = "media_bridge"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Pitstop")

logger = Logger(service=SERVICE)

__all__ = ["BridgeMetrics", "bind_call", "logger", "mask_phone"]


def bind_call(call_sid: str) -> None:
    """Key every later log line of this task (and tasks/threads it starts) by `call_sid`."""
    logger.thread_safe_append_keys(call_sid=call_sid)


class BridgeMetrics:
    """The bridge's CloudWatch metrics (EMF on stdout), dimension service=media_bridge."""

    def __init__(self, namespace: str = NAMESPACE):
        self._namespace = namespace
        self._metrics = Metrics(namespace=namespace, service=SERVICE)

    def count(self, name: str, value: float = 1) -> None:
        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def tool_latency(self, ms: float) -> None:
        self._metrics.add_metric(name="ToolLatency", unit=MetricUnit.Milliseconds, value=ms)

    def outcome(self, outcome: str) -> None:
        # A dimension per outcome needs its own EMF blob; one per call is cheap.
        with single_metric(
            name="CallOutcome",
            unit=MetricUnit.Count,
            value=1,
            namespace=self._namespace,
            default_dimensions={"service": SERVICE},
        ) as metric:
            metric.add_dimension(name="outcome", value=outcome)

    def flush(self, live_calls: int) -> None:
        self._metrics.add_metric(name="LiveCalls", unit=MetricUnit.Count, value=live_calls)
        self._metrics.flush_metrics(raise_on_empty_metrics=False)
