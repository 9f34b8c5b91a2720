"""Run every benchmark in turn (or the ones named: `python -m tests.bench tools bridge`)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("tools", "webhook", "bridge")


def main(names: list[str]) -> None:
    for name in names or BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(f"tests.bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
