"""The bridge's logs and metrics, over the one Powertools setup (`pitstop.observability`).

Log lines are keyed by `call_sid` through a context variable (Powertools' thread-safe keys), so
each call's task (and every task or thread it starts) logs under its own SID while hundreds of
calls interleave on one event loop. Numbers are masked before they reach a log line.

Metrics are Powertools EMF on the shared `metrics` object, flushed on a timer because this is a
long-lived process, not a Lambda. The service (dimension and log key) is POWERTOOLS_SERVICE_NAME,
which the stack sets to `media_bridge`.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from pitstop.models import CallOutcome
from pitstop.observability import logger, mask_phone, metrics

__all__ = ["BadFrames", "BridgeMetrics", "bind_call", "logger", "mask_phone"]

_LOGGED_BAD_FRAMES = 5


def bind_call(call_sid: str) -> None:
    """Key every later log line of this task (and tasks/threads it starts) by `call_sid`."""
    logger.thread_safe_append_keys(call_sid=call_sid)


class BadFrames:
    """Counts a call's malformed frames; logs the first few, then one in a thousand.

    A peer that sends garbage 50 times a second must not flood the log, but it must show.
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, side: str, reason: str) -> None:
        self.count += 1
        if self.count <= _LOGGED_BAD_FRAMES or self.count % 1000 == 0:
            logger.warning(
                "dropped a malformed frame",
                extra={"side": side, "reason": reason[:200], "count": self.count},
            )


class BridgeMetrics:
    """The bridge's CloudWatch metrics: counters, tool latency, one outcome and its waits per
    call, live calls."""

    def count(self, name: str, value: float = 1) -> None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def tool_latency(self, ms: float) -> None:
        metrics.add_metric(name="ToolLatency", unit=MetricUnit.Milliseconds, value=ms)

    def outcome(self, outcome: CallOutcome) -> None:
        """One per ended call: by outcome, and in all (`CallsEnded`, what rates divide by)."""
        self._by("CallOutcome", "outcome", outcome.value)
        self.count("CallsEnded")

    def latency(self, responses_ms: list[float], greeting_ms: float | None) -> None:
        """A call's waits, once at its end: every response's (so CloudWatch's p95 is over
        turns, not over calls' own percentiles) and the greeting's."""
        for ms in responses_ms:
            metrics.add_metric(name="ResponseLatency", unit=MetricUnit.Milliseconds, value=ms)
        if greeting_ms is not None:
            metrics.add_metric(
                name="GreetingLatency", unit=MetricUnit.Milliseconds, value=greeting_ms
            )

    def budget_reached(self, step: str) -> None:
        """A call went past its token ceiling: `wrap_up`, then (past the hard limit) `handoff`."""
        self._by("TokenBudgetReached", "step", step)

    def realtime_error(self, code: str | None) -> None:
        """A Realtime `error` event, counted by its code (which says what to fix) and with the
        failed connects in one `RealtimeErrors` series (what the alarm watches)."""
        self._by("RealtimeErrors", "code", code or "none")
        self.count("RealtimeErrors")

    def prohibited_phrase(self, phrase: str) -> None:
        """The agent started to say a phrase the shop prohibits, counted per phrase."""
        self._by("ProhibitedPhrases", "phrase", phrase)

    @staticmethod
    def _by(name: str, dimension: str, value: str) -> None:
        # A dimension per value needs its own EMF blob; one per event is cheap.
        service = {"service": metrics.service} if metrics.service else {}
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=1,
            namespace=metrics.namespace,
            default_dimensions=service,
        ) as metric:
            metric.add_dimension(name=dimension, value=value)

    def flush(self, live_calls: int) -> None:
        metrics.add_metric(name="LiveCalls", unit=MetricUnit.Count, value=live_calls)
        metrics.flush_metrics(raise_on_empty_metrics=False)
