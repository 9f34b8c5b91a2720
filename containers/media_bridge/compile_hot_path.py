"""The bridge with its hot path compiled by mypyc: the same sources, less CPU per frame.

Every frame runs through a few small modules (wire, call, conversation, upstream, twilio_side,
call_state, transcript, latency): there, interpreted Python is what the bridge costs above the
floor relay (README, "The compiled hot path"). mypyc compiles those modules to C from their
type annotations: their classes become native (attributes at fixed offsets, methods called
directly): 15 % fewer instructions per frame callback (callgrind), about 7 % less CPU at 200
calls (`tests.bench.bridge_ab`).

ws.py stays interpreted: its `WebSocket` subclasses picows' Cython `WSListener`, which mypyc
cannot make a native class, and compiled it cost more than it saved (measured the same way);
its per-frame half is wire.py's native `Wire`, which picows calls directly. Everything else
runs too rarely to matter.

A compiled module sits beside its source and wins the import; the sources are copied first, so
the tree it builds (`DEST/media_bridge`, and mypyc's runtime library in `DEST`) is one
PYTHONPATH entry, and the working tree stays interpreted: an edit there is never shadowed by
a stale build. The image builds it (Dockerfile), as do `make test-compiled` and the benchmarks.

    python containers/media_bridge/compile_hot_path.py DEST [--sources DIR] [--shared DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "media_bridge"  # the package to build
SHARED = HERE.parents[1]  # the repository root: holds the shared `pitstop` package
HOT_PATH = (
    "call",
    "call_state",
    "conversation",
    "latency",
    "transcript",
    "twilio_side",
    "upstream",
    "wire",
)


def compile_bridge(dest: Path, sources: Path = SOURCES, shared: Path = SHARED) -> Path:
    """`sources` (the `media_bridge` package) copied to `dest` with `HOT_PATH` compiled; the
    shared `pitstop` package is read from `shared` for its types. Returns `dest`."""
    package = dest / "media_bridge"
    shutil.copytree(sources, package, ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    files = [f"media_bridge/{name}.py" for name in HOT_PATH]
    env = {**os.environ, "MYPYPATH": str(shared.resolve())}
    # No config file: the project's (strict, with the pydantic plugin) is `make check`'s, and
    # the image has none. mypyc type-checks the modules it compiles; what they import is read
    # for its types only (`silent`), its own findings left to `make check`.
    build = subprocess.run(
        [sys.executable, "-m", "mypyc", "--config-file=", "--follow-imports=silent", *files],
        cwd=dest,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        sys.stderr.write(build.stdout[-4000:] + build.stderr[-4000:])
        raise SystemExit(f"mypyc failed (exit {build.returncode}) on {', '.join(files)}")
    shutil.rmtree(dest / "build")
    return dest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python containers/media_bridge/compile_hot_path.py")
    parser.add_argument("dest", type=Path, help="an empty or missing directory")
    parser.add_argument("--sources", type=Path, default=SOURCES)
    parser.add_argument("--shared", type=Path, default=SHARED, help="holds pitstop/")
    args = parser.parse_args()
    compile_bridge(args.dest, args.sources, args.shared)
