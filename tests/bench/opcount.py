"""Python bytecodes a relay runs per round trip: a figure the machine's load does not move.

CPU per call-second moves by a third from one run to the next on a shared machine, mostly
through the kernel's share; the interpreter's share of the hot path is what the relay's own
code decides, and counting its bytecodes measures that exactly. This wraps a relay's entry
point (the bridge's or the floor's): between SIGUSR1 and SIGUSR2 it counts the bytecodes run
in the relay's own files (under `prefix`), then writes the count to the file `out`.

    python -m tests.bench.opcount PREFIX OUT MODULE [ARGS...]   # MODULE runs as __main__
"""

from __future__ import annotations

import runpy
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

Tracer = Any  # sys.settrace's callback: (frame, event, arg) -> a tracer or None


class Counter:
    """Counts the opcodes of frames whose code lives under `prefix`, while `on`."""

    def __init__(self, prefix: str, out: Path):
        self.prefix = prefix
        self.out = out
        self.ops = 0
        self.on = False

    def start(self, *_: object) -> None:
        self.on = True
        sys.settrace(self._call)

    def stop(self, *_: object) -> None:
        self.on = False
        sys.settrace(None)
        self.out.write_text(str(self.ops))

    def _call(self, frame: FrameType, event: str, arg: object) -> Tracer:
        if not frame.f_code.co_filename.startswith(self.prefix):
            return None
        frame.f_trace_opcodes = True
        return self._step

    def _step(self, frame: FrameType, event: str, arg: object) -> Tracer:
        if event == "opcode" and self.on:
            self.ops += 1
        return self._step


def wrap(command: list[str], prefix: Path, out: Path) -> list[str]:
    """`command` (`python -m MODULE ARGS...`) run under the counter (from the repository root)."""
    python, flag, module, *args = command
    if flag != "-m":
        raise ValueError(f"not a `python -m` command: {command}")
    return [python, "-m", "tests.bench.opcount", str(prefix), str(out), module, *args]


def main() -> None:
    prefix, out, module, *args = sys.argv[1:]
    counter = Counter(str(Path(prefix).resolve()), Path(out))
    signal.signal(signal.SIGUSR1, counter.start)
    signal.signal(signal.SIGUSR2, counter.stop)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
