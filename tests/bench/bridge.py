"""Media bridge benchmark: `python -m media_bridge` beside its floor, at real-time pacing.

For each size N, runs in one process tree, one after the other, sharing the machine with the
echoing Realtime stand-in (`echo_realtime`) and the Twilio load generator (`load_twilio`):

- direct: the load generator talks to the stand-in itself (the round trip with no relay);
- floor: the minimal picows relay (`floor_relay`), the least the per-frame job can cost;
- bridge: the real entry point as the image ships it (its hot path compiled by mypyc:
  `stack.compile_bridge`), calls opened the way the webhook opens them (`stack`).

Then the bytecodes each relay's own code runs per round trip (`opcount`; the bridge's sources
interpreted): the share of the per-frame cost that the code decides, exactly, whatever the
machine's load.

At the target size (200 calls) floor and bridge take `BENCH_BRIDGE_TURNS` (3) turns each,
alternating, and each one's turns are pooled: a single pair of 5 s windows moved the ratio by
a third from one run to the next on this shared machine, mostly through the floor's figure.

Per run: the relay's CPU ms per call-second (its process alone, from /proc), its ratio to the
floor's, round trip p50/p99 and what the relay adds to the direct one, frames lost, RSS per
call, speech_started → clear, and the load generator's and stand-in's own CPU (so it shows
when they, not the relay, are the limit). Then the targets at 200 calls and what the figures
mean on Fargate (calls per vCPU, the autoscaling target).

    python -m tests.bench bridge                          # N = 50, 100, 200, 500
    BENCH_BRIDGE_SIZES=20,100 BENCH_BRIDGE_SECONDS=3 python -m tests.bench bridge
    BENCH_BRIDGE_N=20 ...                                 # one size (wins over SIZES)
    BENCH_BRIDGE_TURNS=1 ...                              # one floor and bridge run at 200
    BENCH_BRIDGE_PROFILE=1 ...                            # also cProfile the bridge
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tests.bench import floor_relay, opcount
from tests.bench.echo_realtime import Echo
from tests.bench.load_twilio import CallSpec, Load
from tests.bench.measure import Run, measure, pct, pooled, rss_bytes
from tests.bench.stack import (
    STREAM_KEY,
    CallBook,
    compile_bridge,
    dynamodb,
    log_errors,
    serve,
    tools_stub,
)

ROOT = Path(__file__).resolve().parents[2]
FLOOR_CODE = ROOT / "tests/bench/floor_relay.py"  # the relays' own code, for `opcount`
BRIDGE_CODE = ROOT / "containers/media_bridge/media_bridge"
TARGET_N = 200
TARGETS = "bridge CPU ≤ 1.2 x floor, added p99 ≤ 15 ms, 0 lost, ≤ 100 KiB per call"


def sizes() -> list[int]:
    raw = os.environ.get("BENCH_BRIDGE_N") or os.environ.get("BENCH_BRIDGE_SIZES", "50,100,200,500")
    return [int(x) for x in raw.split(",")]


def load_processes(n: int) -> int:
    """Enough load workers that none is busy more than a fraction of a core."""
    return max(1, min(4, math.ceil(n / 150)))


def plain_calls(n: int) -> list[CallSpec]:
    return [CallSpec(i, f"CA{i:032x}") for i in range(n)]


def bridge_env(
    endpoint: str, tools_url: str, echo_url: str, tmp: Path, most: int
) -> dict[str, str]:
    env = {
        **os.environ,
        "PITSTOP_REALTIME_URL": echo_url,
        "PITSTOP_TABLE": "bench-bridge",
        "PITSTOP_DYNAMODB_ENDPOINT": endpoint,
        "AWS_REGION": "us-east-1",
        "PITSTOP_TOOLS_URL": tools_url,
        "PITSTOP_STREAM_TOKEN_KEY": STREAM_KEY,
        "PITSTOP_TELEPHONY": "outbox",
        "PITSTOP_OUTBOX": str(tmp / "outbox.jsonl"),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "PITSTOP_BRIDGE_METRICS_INTERVAL": "3600",
        # SIGTERM after a run: the calls have ended; let their record writes finish.
        "PITSTOP_BRIDGE_DRAIN_SECONDS": "180",
        # A starved machine is slow, not broken: call set-up gets time here (not in production).
        "PITSTOP_BRIDGE_REALTIME_OPEN_TIMEOUT": "30",
        "PITSTOP_BRIDGE_SESSION_TIMEOUT": "30",
        "PITSTOP_BRIDGE_CONNECT_BUDGET": "60",
        # All of a run's calls open at once: none may be refused as "too many pending".
        "PITSTOP_BRIDGE_MAX_PENDING": str(most + 100),
    }
    env.pop("OPENAI_API_KEY", None)
    return env


class Bench:
    """One benchmark run over all sizes: the shared stand-ins, and a run per relay per size."""

    def __init__(
        self, echo: Echo, book: CallBook, env: dict[str, str], tmp: Path, compiled: Path | None
    ):
        self.echo = echo
        self.book = book
        self.env = env
        self.tmp = tmp
        self.compiled = compiled  # the bridge's compiled build (a PYTHONPATH entry), if any
        self.seconds = float(os.environ.get("BENCH_BRIDGE_SECONDS", "5"))
        self.turns = int(os.environ.get("BENCH_BRIDGE_TURNS", "3"))
        self.profile = os.environ.get("BENCH_BRIDGE_PROFILE") == "1"

    def row(self, n: int) -> tuple[Run, Run, Run]:
        """The direct run, then floor and bridge in turn (`turns` times at the target size,
        pooled: the machine's drift over a run falls on both alike), each run printed."""
        direct = self.direct(n)
        print(f"N={n} direct: {summary(direct, direct, direct)}", flush=True)
        floors: list[Run] = []
        bridges: list[Run] = []
        for turn in range(self.turns if n == TARGET_N else 1):
            floors.append(self.floor(n))
            bridges.append(self.bridge(n))
            for run in (floors[-1], bridges[-1]):
                line = summary(run, direct, floors[-1])
                print(f"N={n} {run.name} (turn {turn + 1}): {line}", flush=True)
        return direct, pooled(floors), pooled(bridges)

    def direct(self, n: int) -> Run:
        with Load(self.echo.url, plain_calls(n), load_processes(n)) as load:
            return measure("direct", load, self.echo, n, self.seconds, None)

    def floor(self, n: int, counted: bool = False) -> Run:
        calls = plain_calls(n + 1)
        command = floor_relay.command(self.echo.url)
        code = FLOOR_CODE if counted else None
        return self._relay("floor", command, dict(os.environ), floor_relay.READY, calls, code)

    def bridge(self, n: int, counted: bool = False) -> Run:
        profiled = self.profile and not counted  # one tracer at a time
        command = [sys.executable]
        profile = self.tmp / f"bridge-{n}.prof"
        if profiled:
            command += ["-m", "cProfile", "-o", str(profile)]
        command += ["-m", "media_bridge", "--host", "127.0.0.1", "--port", "0"]
        calls = self.book.open_many(n + 1)
        code = BRIDGE_CODE if counted else None
        env = self.env  # counted: the sources, interpreted (compiled code runs no bytecodes)
        if self.compiled is not None and not counted:
            path = filter(None, [str(self.compiled), env.get("PYTHONPATH")])
            env = {**env, "PYTHONPATH": os.pathsep.join(path)}
        run = self._relay("bridge", command, env, "media bridge on ", calls, code)
        if profiled:
            import pstats

            pstats.Stats(str(profile)).sort_stats("tottime").print_stats(20)
        return run

    def bytecodes(self) -> tuple[float, float]:
        """Bytecodes of the floor's and the bridge's own code per round trip (opcount.py),
        two calls each: the interpreter's share of the per-frame cost, exactly."""
        return self.floor(2, counted=True).bytecodes, self.bridge(2, counted=True).bytecodes

    def _relay(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        ready: str,
        calls: list[CallSpec],
        code: Path | None = None,
    ) -> Run:
        """Measure the relay `command` starts with all `calls` but the last, which warms it up
        first (so the RSS per call does not count what its first call imports). With `code`,
        the bytecodes run in it over the window are counted too (`Run.bytecodes`)."""
        *calls, warm_up = calls
        n = len(calls)
        run_name = f"{name}-{n}" if code is None else f"{name}-{n}-counted"
        log = self.tmp / f"{run_name}.log"
        counted = self.tmp / f"{run_name}.bytecodes"
        if code is not None:
            command = opcount.wrap(command, code, counted)
        with serve(command, env, log, ready, ROOT) as (process, url):
            with Load(url, [warm_up], 1) as load:
                load.wait_ready()
            idle = rss_bytes(process.pid)
            with Load(url, calls, load_processes(n)) as load:
                window = code is not None
                run = measure(
                    name, load, self.echo, n, self.seconds, process.pid, idle, signal_window=window
                )
        if code is not None:
            run = replace(run, bytecodes=int(counted.read_text()) / len(run.rtts))
        errors = log_errors(log)
        if errors:
            print(f"N={n} {name}: {len(errors)} errors in its log; the first: {errors[0][:400]}")
        return run


def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    ns = sizes()
    load_before = os.getloadavg()
    started = time.monotonic()
    rows: list[tuple[Run, Run, Run]] = []
    with (
        dynamodb() as endpoint,
        tools_stub() as tools_url,
        Echo() as echo,
        tempfile.TemporaryDirectory(prefix="bench-bridge-") as tmp,
    ):
        env = bridge_env(endpoint, tools_url, echo.url, Path(tmp), max(ns))
        compiled = compile_bridge(Path(tmp) / "compiled")
        bench = Bench(echo, CallBook("bench-bridge", endpoint), env, Path(tmp), compiled)
        print(f"{os.cpu_count()} CPUs; {bench.seconds:g} s measured per run", flush=True)
        for n in ns:
            began = time.monotonic()
            rows.append(bench.row(n))
            print(f"N={n}: {time.monotonic() - began:.0f} s", flush=True)
        floor_ops, bridge_ops = bench.bytecodes()
    print_table(rows)
    print(
        f"Python bytecodes per round trip (the relay's own code, counted, 2 calls): floor "
        f"{floor_ops:.0f}, bridge {bridge_ops:.0f} ({bridge_ops / floor_ops:.2f} x)"
    )
    print(
        f"load average before the run {fmt_load(load_before)}, after {fmt_load(os.getloadavg())}; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    for direct, floor, bridge in rows:
        if bridge.n == TARGET_N:
            print_targets(direct, floor, bridge)
            print_capacity(bridge)


def summary(run: Run, direct: Run, floor: Run) -> dict[str, object]:
    return {
        "cpu_ms_per_call_s": round(run.per_call_second(run.relay_cpu), 3),
        "x_floor": round(ratio(run, floor), 3),
        "rtt_p50_p99": (round(run.p50, 2), round(run.p99, 2)),
        "added_p50_p99": (round(run.p50 - direct.p50, 2), round(run.p99 - direct.p99, 2)),
        "lost": f"{run.lost}/{run.sent}",
        "rss_kib_per_call": round(run.rss_per_call / 1024, 1),
        "clears": f"{len(run.clears)}/{run.n}",
        "load_cpu_ms_per_call_s": round(run.per_call_second(run.load_cpu), 3),
        "echo_cpu_ms_per_call_s": round(run.per_call_second(run.echo_cpu), 3),
        "late_steps": f"{run.late}/{run.ticks}",
        "load_processes": run.load_processes,
        "not_ready": run.not_ready,
        "closed_early": run.closed_early,
    }


def ratio(run: Run, floor: Run) -> float:
    return run.per_call_second(run.relay_cpu) / floor.per_call_second(floor.relay_cpu)


def print_table(rows: list[tuple[Run, Run, Run]]) -> None:
    print(
        "\nbridge and floor: Twilio load ⇄ relay ⇄ echoing Realtime, a 20 ms μ-law frame each way "
        "per call, real-time pacing; CPU in ms per call-second relayed"
    )
    print(
        f"{'N':>4} {'relay':<7}{'CPU':>7} {'xfloor':>7} {'RTT p50/p99 ms':>15} "
        f"{'added p50/p99':>14} {'lost':>12} {'KiB/call':>9} {'clear p50/p99 ms':>17} "
        f"{'load CPU':>9} {'echo CPU':>9} {'late steps':>11}"
    )
    for direct, floor, bridge in rows:
        for run in (direct, floor, bridge):
            relay = run is not direct
            print(
                f"{run.n:>4} {run.name:<7}"
                f"{cell(run.per_call_second(run.relay_cpu), 7, 2)} "
                f"{cell(ratio(run, floor) if relay else math.nan, 7, 2)} "
                f"{run.p50:>7.2f}/{run.p99:<7.2f} "
                f"{pair(run.p50 - direct.p50, run.p99 - direct.p99) if relay else '-':>14} "
                f"{f'{run.lost}/{run.sent}':>12} {cell(run.rss_per_call / 1024, 9, 1)} "
                f"{pair(pct(run.clears, 0.5), pct(run.clears, 0.99)):>17} "
                f"{cell(run.per_call_second(run.load_cpu), 9, 2)} "
                f"{cell(run.per_call_second(run.echo_cpu), 9, 2)} "
                f"{f'{run.late}/{run.ticks}':>11}"
            )
    print(
        "added = the relay's round trip (caller → model and model → caller) minus the load "
        "generator's round trip to the stand-in directly; load CPU: all load workers together; "
        "late steps: load steps (10 per 20 ms tick) that started over 5 ms late."
    )


def print_targets(direct: Run, floor: Run, bridge: Run) -> None:
    x = ratio(bridge, floor)
    added = bridge.p99 - direct.p99
    kib = bridge.rss_per_call / 1024
    checks = [
        (f"bridge CPU {x:.2f} x floor", x <= 1.2),
        (f"added p99 {added:.1f} ms", added <= 15),
        (f"{bridge.lost} frames lost", bridge.lost == 0 and bridge.sent > 0),
        (f"{kib:.0f} KiB per call", kib <= 100),
    ]
    print(f"\ntargets at {TARGET_N} calls ({TARGETS}):")
    for text, met in checks:
        print(f"  {text}: {'met' if met else 'NOT MET'}")


def print_capacity(bridge: Run) -> None:
    """What the 200-call figures mean for the Fargate service (cdk.json's bridge settings)."""
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    vcpus = context["bridge_cpu"] / 1024
    target = context["bridge_cpu_target_percent"]
    per_vcpu = 1000 / bridge.per_call_second(bridge.relay_cpu)
    per_task = int(per_vcpu * min(vcpus, 1.0) * target / 100)  # one process: at most one core
    memory = context["bridge_memory_mib"] * 1024 / max(bridge.rss_per_call / 1024, 1e-9)
    print(
        f"\nFargate: one vCPU carries about {per_vcpu:.0f} calls at 100 % CPU "
        f"(1000 ms / {bridge.per_call_second(bridge.relay_cpu):.2f} ms per call-second); the "
        f"task ({context['bridge_cpu']} CPU units, {context['bridge_memory_mib']} MiB, memory for "
        f"~{memory:.0f} calls) at the {target} % CPU scaling target carries {per_task} calls: "
        f"LiveCallsPerTask target {per_task} (cdk.json bridge_calls_per_task is "
        f"{context['bridge_calls_per_task']})."
    )


def cell(value: float, width: int, digits: int) -> str:
    return f"{'-':>{width}}" if math.isnan(value) else f"{value:>{width}.{digits}f}"


def pair(a: float, b: float) -> str:
    return "-" if math.isnan(a) else f"{a:.2f}/{b:.2f}"


def fmt_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


if __name__ == "__main__":
    main()
