"""The local stack's bridge is a process of its own, and the stack's fault hooks act on it as
production faults would: a kill (and a new bridge on the same port), a freeze (no heartbeat),
its metrics read from its log. One real stack (moto, Lambdas, engine, bridge child)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from pitstop_local.dev import LocalStack

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # the bridge child counts regardless
        # A table of its own: moto's backend is one per process, shared by every stack in it.
        table = f"pitstop-{uuid.uuid4().hex[:8]}"
        async with LocalStack(workdir=tmp_path_factory.mktemp("stack"), table=table) as stack:
            yield stack


def _state(pid: int) -> str:
    """The process's state letter from /proc (R, S, T = stopped, …; "" once reaped)."""
    stat = Path(f"/proc/{pid}/stat")
    return stat.read_text().rsplit(")", 1)[1].split()[0] if stat.exists() else ""


async def _healthy(stack: LocalStack) -> bool:
    health = stack.bridge_url.replace("ws://", "http://").replace("/media-stream", "/health")
    async with httpx.AsyncClient() as http:
        return (await http.get(health, timeout=5)).status_code == 200


async def test_the_bridge_is_a_child_process_the_webhook_points_at(stack):
    pid = stack._running_bridge().pid
    assert pid != os.getpid() and _state(pid) in "RS"
    assert os.environ["PITSTOP_BRIDGE_URL"] == stack.bridge_url and await _healthy(stack)
    assert "media bridge on " + stack.bridge_url in stack.bridge_log.read_text(encoding="utf-8")


async def test_its_metrics_are_read_from_its_log(stack):
    watch = stack.watch_metrics()
    await watch.flushed()
    assert watch.count("LiveCalls") == 0  # flushed, with no call live
    assert watch.blobs("LiveCalls")[0]["service"] == "media_bridge"


async def test_a_crash_kills_it_and_a_new_one_listens_on_the_same_url(stack):
    before, url = stack._running_bridge().pid, stack.bridge_url
    stack.crash_bridge()
    await stack.bridge_ready()
    after = stack._running_bridge().pid
    assert after != before and _state(before) == ""  # reaped, not a zombie
    assert stack.bridge_url == url and await _healthy(stack)


async def test_a_paused_bridge_is_frozen_and_beats_again_after(stack):
    pid = stack._running_bridge().pid
    async with stack.bridge_paused():
        assert _state(pid) == "T"
        stale = datetime(2026, 1, 1, tzinfo=UTC)
        stack.crm.heartbeats.beat(stack.bridge_task_id, stale)
        assert stack.crm.heartbeats.alive(datetime.now(UTC)) is False  # nobody beats now
    assert _state(pid) in "RS"
    assert stack.crm.heartbeats.alive(datetime.now(UTC)) is True  # its own beat, again
