"""The bridge fleet's heartbeat: one item every task overwrites, read in one GetItem."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


def test_never_beaten_then_alive_while_the_latest_beat_is_fresh_then_dead(crm):
    assert crm.heartbeats.alive(NOW) is None  # no task ever beat
    crm.heartbeats.beat("task-a", NOW - timedelta(seconds=50))  # a task that died
    crm.heartbeats.beat("task-b", NOW - timedelta(seconds=5))  # a live one, beating after it
    assert crm.heartbeats.alive(NOW) is True
    assert crm.heartbeats.alive(NOW + timedelta(seconds=26)) is False  # nobody beat for 31 s
    crm.heartbeats.beat("task-c", NOW + timedelta(seconds=26))  # a new task takes over
    assert crm.heartbeats.alive(NOW + timedelta(seconds=26)) is True
