"""The benchmark's yardsticks: pooled turns, counted bytecodes and the A/B run's revision."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.bench.bridge import ROOT
from tests.bench.bridge_ab import BRIDGE_SOURCES, checkout
from tests.bench.measure import FRAMES_PER_SECOND, Run, pooled
from tests.bench.opcount import Counter


def run(cpu: float, rtts: list[int], rss: float = 1.0) -> Run:
    return Run(
        name="bridge",
        n=1,
        seconds=1.0,
        relay_cpu=cpu,
        echo_cpu=0.0,
        load_cpu=0.0,
        rss_per_call=rss,
        rtts=rtts,
        clears=[],
        lost=0,
        sent=len(rtts),
        marks=len(rtts),
        late=0,
        ticks=1,
        not_ready=0,
        closed_early=0,
    )


def test_pooled_turns_weigh_each_by_what_it_relayed():
    quick = run(0.1, [1] * FRAMES_PER_SECOND)  # 2 ms per call-second
    slow = run(0.9, [2] * (3 * FRAMES_PER_SECOND), rss=5.0)  # 6 ms per call-second
    both = pooled([quick, slow])
    assert both.per_call_second(both.relay_cpu) == 1000 * 1.0 / 4  # not (2 + 6) / 2
    assert both.rtts == sorted(quick.rtts + slow.rtts)
    assert both.sent == 4 * FRAMES_PER_SECOND and both.rss_per_call == 5.0


def counted_work(n: int) -> int:
    total = 0
    for i in range(n):
        total += i
    return total


def test_the_counter_counts_only_code_under_its_prefix_and_only_while_on(tmp_path: Path):
    out = tmp_path / "ops"
    counter = Counter(__file__, out)
    counter.start()
    counted_work(10)
    sorted(range(1000))  # C code and other files: not counted
    counter.stop()
    small = int(out.read_text())
    counted_work(1000)  # after stop: not counted
    assert int(out.read_text()) == small == counter.ops
    counter.start()
    counted_work(100)
    counter.stop()
    assert counter.ops - small > 5 * small  # ten times the loop: several times the bytecodes


def test_an_ab_run_imports_the_bridge_of_the_revision_it_names(tmp_path: Path):
    """A is the bridge at `ref`: its files as git has them there, importable from the entry."""
    entry = checkout("HEAD", tmp_path / "base")
    shipped = subprocess.run(
        ["git", "show", f"HEAD:{BRIDGE_SOURCES}/ws.py"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    assert (entry / "media_bridge/ws.py").read_bytes() == shipped
    imported = subprocess.run(
        [sys.executable, "-c", "import media_bridge; print(media_bridge.__file__)"],
        env={**os.environ, "PYTHONPATH": str(entry)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(imported) == entry / "media_bridge/__init__.py"
