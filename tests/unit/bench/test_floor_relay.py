"""The benchmark's own parts, honest without load: floor relay, Realtime stand-in, load generator.

Two calls for one measured second over real sockets (each part in its own process, as in
`make bench`): every frame sent comes back, each with its mark, and each call's barge-in gets
its `clear`. If any of these lied, the benchmark's figures would too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.bench import floor_relay
from tests.bench.bridge import ROOT
from tests.bench.echo_realtime import Echo
from tests.bench.load_twilio import CallSpec, Load
from tests.bench.measure import FRAMES_PER_SECOND, Run, measure
from tests.bench.stack import serve

CALLS = [CallSpec(0, "CA" + "0" * 32), CallSpec(1, "CA" + "1" * 32)]
SECONDS = 1.0


@pytest.fixture(scope="module")
def echo() -> Iterator[Echo]:
    # Spawned children take the parent's sys.path; pytest's importlib mode leaves the root out.
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))
        with Echo() as echo:
            yield echo


def check_honest(run: Run) -> None:
    assert run.not_ready == 0
    assert run.closed_early == 0
    # real-time pacing: a frame per call per 20 ms (give or take one at the window's edges)
    assert run.sent >= len(CALLS) * (FRAMES_PER_SECOND * SECONDS - 1)
    assert run.lost == 0
    # every frame of the window came back and was timed (the load generator drops none)
    assert len(run.rtts) == run.sent
    assert 0 < run.p50 <= run.p99 < 1000
    assert run.marks >= run.sent  # a mark after every frame of agent audio


def test_floor_relays_every_frame_with_its_mark_and_clears_on_barge_in(tmp_path, echo):
    log = tmp_path / "floor.log"
    command = floor_relay.command(echo.url)
    with (
        serve(command, dict(os.environ), log, floor_relay.READY, ROOT) as (process, url),
        Load(url, CALLS, processes=1) as load,
    ):
        run = measure("floor", load, echo, len(CALLS), SECONDS, process.pid)
    check_honest(run)
    assert len(run.clears) == len(CALLS)
    assert all(0 < c < 1e9 for c in run.clears)
    assert run.relay_cpu >= 0


def test_load_generator_and_echo_alone_lose_nothing(echo):
    with Load(echo.url, CALLS, processes=2) as load:
        run = measure("direct", load, echo, len(CALLS), SECONDS, None)
    check_honest(run)
    assert run.load_processes == 2
