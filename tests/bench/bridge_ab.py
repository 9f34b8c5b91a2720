"""The bridge at a git revision against the working tree, in alternating turns: A/B for a change.

CPU per call-second moves by a fifth between runs on a shared machine (the floor's own figure
too), and bytecodes are not CPU one for one (a change that runs fewer can cost more: memory
touched, cache misses). Whether a hot-path change saves CPU is answered here: the same load,
the same stand-ins, the bridge of `REF` (A) and of the working tree (B) taking turns, each one's
turns pooled, B / A printed. A is `media_bridge` as it is at `REF`; the shared package and the
dependencies are the working tree's for both (the relay's hot path is all in `media_bridge`).
Both are built as the image builds them, with the working tree's compile_hot_path.py.

    python -m tests.bench.bridge_ab REF    # BENCH_BRIDGE_N (200) calls, BENCH_BRIDGE_TURNS (4)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tests.bench.bridge import ROOT, TARGET_N, Bench, bridge_env
from tests.bench.echo_realtime import Echo
from tests.bench.measure import Run, pooled
from tests.bench.stack import CallBook, compile_bridge, dynamodb, tools_stub

BRIDGE_SOURCES = "containers/media_bridge/media_bridge"


def checkout(ref: str, dest: Path) -> Path:
    """`media_bridge` as it is at `ref`, unpacked under `dest` (`dest / "media_bridge"`: the
    sources A is compiled from)."""
    dest.mkdir(parents=True)
    archive = dest / "sources.tar"
    subprocess.run(
        ["git", "archive", "--output", str(archive), ref, BRIDGE_SOURCES], cwd=ROOT, check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    (dest / BRIDGE_SOURCES).rename(dest / "media_bridge")
    return dest


def cpu(run: Run) -> float:
    return run.per_call_second(run.relay_cpu)


def main(ref: str) -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    n = int(os.environ.get("BENCH_BRIDGE_N", str(TARGET_N)))
    turns = int(os.environ.get("BENCH_BRIDGE_TURNS", "4"))
    with (
        dynamodb() as endpoint,
        tools_stub() as tools_url,
        Echo() as echo,
        tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp,
    ):
        base = checkout(ref, Path(tmp) / "base")
        builds = {
            "A": compile_bridge(Path(tmp) / "A", base / "media_bridge"),
            "B": compile_bridge(Path(tmp) / "B"),
        }
        env = bridge_env(endpoint, tools_url, echo.url, Path(tmp), n)
        bench = Bench(echo, CallBook("bench-bridge", endpoint), env, Path(tmp), None)
        runs: dict[str, list[Run]] = {"A": [], "B": []}
        for turn in range(turns):
            for side in ("A", "B") if turn % 2 == 0 else ("B", "A"):  # neither always first
                bench.compiled = builds[side]
                runs[side].append(bench.bridge(n))
            line = ", ".join(f"{side} {cpu(done[-1]):.3f}" for side, done in runs.items())
            print(f"turn {turn + 1}: {line} ms per call-second", flush=True)
    a, b = pooled(runs["A"]), pooled(runs["B"])
    print(
        f"{n} calls, {turns} turns each: A ({ref}) {cpu(a):.3f}, B (working tree) {cpu(b):.3f} "
        f"ms per call-second; B / A {cpu(b) / cpu(a):.3f}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.bench.bridge_ab REF")
    main(sys.argv[1])
