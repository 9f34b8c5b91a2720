"""One measured run: a relay under load, its CPU and memory read from /proc, the load's figures.

CPU is read per process (utime + stime of the relay alone, of the Realtime stand-in, of the load
workers) at the start and the end of the measured window, so each is charged only for its own
work while all of them share the machine. The relay's figure is per call-second actually relayed
(50 frames each way): a starved machine that relays fewer frames does not flatter it.
"""

from __future__ import annotations

import heapq
import math
import os
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path

from tests.bench.echo_realtime import Echo
from tests.bench.load_twilio import Load, Window

CLK_TCK = os.sysconf("SC_CLK_TCK")
SETTLE = 0.5  # seconds between "every call is up" and the window
FRAMES_PER_SECOND = 50


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def pct(sorted_values: list[int], p: float) -> float:
    """The p-quantile of nanosecond values, in ms (nan for none)."""
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] / 1e6


@dataclass
class Run:
    """What one run measured. `relay_cpu` is nan for the direct baseline (no relay)."""

    name: str
    n: int
    seconds: float
    relay_cpu: float
    echo_cpu: float
    load_cpu: float
    rss_per_call: float  # bytes
    rtts: list[int]  # ns, sorted
    clears: list[int]  # speech_started → clear, ns, sorted
    lost: int
    sent: int
    marks: int  # marks the relay sent to the load generator (whole run, not just the window)
    late: int
    ticks: int
    not_ready: int
    closed_early: int
    load_processes: int = 1
    bytecodes: float = math.nan  # of the relay's own code per round trip, when counted

    def per_call_second(self, cpu_seconds: float) -> float:
        """ms of CPU per call-second relayed."""
        relayed = len(self.rtts) / FRAMES_PER_SECOND
        return 1000 * cpu_seconds / relayed if relayed else math.nan

    @property
    def p50(self) -> float:
        return pct(self.rtts, 0.5)

    @property
    def p99(self) -> float:
        return pct(self.rtts, 0.99)


def pooled(runs: list[Run]) -> Run:
    """Several runs of one relay at one size as one: CPU and frames summed (so its CPU per
    call-second weighs each run by what it relayed), latencies merged, the largest RSS per call.
    Runs taken in turn with another relay's share the machine's drift between them."""
    first = runs[0]
    return replace(
        first,
        seconds=sum(r.seconds for r in runs),
        relay_cpu=sum(r.relay_cpu for r in runs),
        echo_cpu=sum(r.echo_cpu for r in runs),
        load_cpu=sum(r.load_cpu for r in runs),
        rss_per_call=max(r.rss_per_call for r in runs),
        rtts=list(heapq.merge(*(r.rtts for r in runs))),
        clears=list(heapq.merge(*(r.clears for r in runs))),
        lost=sum(r.lost for r in runs),
        sent=sum(r.sent for r in runs),
        marks=sum(r.marks for r in runs),
        late=sum(r.late for r in runs),
        ticks=sum(r.ticks for r in runs),
        not_ready=sum(r.not_ready for r in runs),
        closed_early=sum(r.closed_early for r in runs),
    )


def measure(
    name: str,
    load: Load,
    echo: Echo,
    n: int,
    seconds: float,
    relay: int | None,
    idle_rss: int = 0,
    *,
    signal_window: bool = False,
) -> Run:
    """Wait for every call of `load`, measure a window of `seconds`, gather the figures.

    `relay` is the pid of the process under test (None: the load talks to the stand-in itself);
    with `signal_window` it gets SIGUSR1 as the window opens and SIGUSR2 as it closes
    (`opcount` counts its bytecodes between them).
    """
    not_ready = load.wait_ready()
    echo.speech_times()  # forget stamps of earlier runs
    start = time.monotonic() + SETTLE
    window = Window(start, start + seconds)
    load.measure(window)
    pids = {"echo": [echo.pid], "load": load.pids, "relay": [relay] if relay else []}
    _sleep_until(window.start)
    before = {k: sum(cpu_seconds(p) for p in v) for k, v in pids.items()}
    if signal_window and relay:
        os.kill(relay, signal.SIGUSR1)
    _sleep_until(window.end)
    if signal_window and relay:
        os.kill(relay, signal.SIGUSR2)
    used = {k: sum(cpu_seconds(p) for p in v) - before[k] for k, v in pids.items()}
    rss = (rss_bytes(relay) - idle_rss) / n if relay else math.nan
    result = load.results()
    speech = echo.speech_times()
    clear_at = result["clear_at"]
    clears = sorted(clear_at[c] - t for c, t in speech.items() if c in clear_at)
    return Run(
        name=name,
        n=n,
        seconds=seconds,
        relay_cpu=used["relay"] if relay else math.nan,
        echo_cpu=used["echo"],
        load_cpu=used["load"],
        rss_per_call=rss,
        rtts=sorted(result["rtts"]),
        clears=clears,
        lost=result["lost"],
        sent=result["sent"],
        marks=result["marks"],
        late=result["late"],
        ticks=result["ticks"],
        not_ready=not_ready,
        closed_early=result["closed_early"],
        load_processes=len(load.pids),
    )


def _sleep_until(deadline: float) -> None:
    """Pace the measurement window (the window is a span of time, not a condition)."""
    time.sleep(max(0.0, deadline - time.monotonic()))
