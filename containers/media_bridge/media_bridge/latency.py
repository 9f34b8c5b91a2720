"""What the caller waited for, measured per call.

A response's latency runs from the end of the caller's speech (`speech_stopped`, the server
VAD's verdict) to the first agent audio the bridge writes to Twilio after it: the silence the
caller sits through, including the model's thinking and any tool call it made first. The
greeting's runs from Twilio's `start` to the first agent audio of the stream. The hooks are
cheap synchronous calls; `agent_audio` runs for the first delta of an item and the first after
the caller stopped speaking (the conversation looks at those in full), not for every delta.
The figures go on the call record and, once per call, to CloudWatch (`BridgeMetrics.latency`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from pitstop.models import CallLatency, LatencyStats


def stats(values_ms: Sequence[float]) -> LatencyStats | None:
    """Count, p50, p95 (nearest rank: a value that was really measured) and max; None if none."""
    if not values_ms:
        return None
    ordered = sorted(values_ms)

    def rank(p: float) -> float:
        return round(ordered[max(math.ceil(p * len(ordered)) - 1, 0)], 1)

    return LatencyStats(
        count=len(ordered), p50_ms=rank(0.50), p95_ms=rank(0.95), max_ms=round(ordered[-1], 1)
    )


class LatencyMeter:
    """One stream's waits: the greeting's, and each response's after the caller stopped."""

    __slots__ = ("_clock", "_greeted", "_since", "_started_at", "greeting_ms", "responses_ms")

    def __init__(self, started_at: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started_at = started_at
        self._greeted = False
        self._since: float | None = None  # the caller stopped speaking; no agent audio since
        self.greeting_ms: float | None = None
        self.responses_ms: list[float] = []

    def speech_started(self) -> None:
        """The caller speaks (again): nothing is awaited until they stop."""
        self._since = None

    def speech_stopped(self) -> None:
        self._since = self._clock()

    def agent_audio(self) -> None:
        """Agent audio is being written to Twilio."""
        if not self._greeted:
            self._greeted = True
            self.greeting_ms = round((self._clock() - self._started_at) * 1000, 1)
        since = self._since
        if since is not None:
            self._since = None
            self.responses_ms.append((self._clock() - since) * 1000)

    def summary(self, tool_latencies_ms: Sequence[float]) -> CallLatency:
        return CallLatency(
            response=stats(self.responses_ms),
            greeting_ms=self.greeting_ms,
            tool=stats(tool_latencies_ms),
        )
