"""Bridge heartbeats: is any media-bridge task alive to take a call right now?

Every bridge task overwrites the fleet's one beat item (`beat`) every `BEAT_INTERVAL`, so the
item holds the latest beat of any task: while one task lives it stays fresh, and once every task
is dead or draining it goes stale. The webhook reads that one item with the rest of what it
needs to answer (`pitstop.dal.call_setup`: one BatchGetItem), or alone with `alive`. A fleet
whose latest beat is older than `FRESHNESS` is dead: new callers go straight to the fallback
instead of into a stream nobody will pick up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pitstop.dal import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# How often a task beats, and how old the latest beat may be before the fleet counts as dead:
# three missed beats, so one slow write never turns callers away.
BEAT_INTERVAL = timedelta(seconds=10)
FRESHNESS = timedelta(seconds=30)
# A dead fleet's beat lingers this long (then DynamoDB's TTL removes it), so a fleet that died
# reads as "stale" rather than "never seen".
RETENTION = timedelta(days=1)


def fleet_key(shop_id: str) -> dict[str, str]:
    """The key of the fleet's beat item."""
    return keys.item_key(keys.heartbeats(shop_id), keys.FLEET)


def verdict(
    item: Mapping[str, Any] | None, now: datetime, freshness: timedelta = FRESHNESS
) -> bool | None:
    """True if the fleet's latest beat (`item`) is within `freshness` of `now`, False if it is
    stale, None if no task has ever beaten (a fleet not yet wired to beat, a brand-new table)."""
    if item is None:
        return None
    return int(str(item["beat_at"])) >= int((now - freshness).timestamp())


class HeartbeatRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._shop_id = shop_id

    def beat(self, task_id: str, now: datetime) -> None:
        """Record that `task_id` is alive and taking calls at `now` (one PutItem over the
        fleet's item: the latest beat wins)."""
        self._table.put_item(
            Item={
                **fleet_key(self._shop_id),
                "entity": "Heartbeat",
                "task_id": task_id,
                "beat_at": int(now.timestamp()),
                keys.TTL: int((now + RETENTION).timestamp()),
            }
        )

    def alive(self, now: datetime, freshness: timedelta = FRESHNESS) -> bool | None:
        """The fleet's `verdict` from its beat item (one consistent GetItem)."""
        reply = self._table.get_item(Key=fleet_key(self._shop_id), ConsistentRead=True)
        return verdict(reply.get("Item"), now, freshness)
