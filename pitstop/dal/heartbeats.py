"""Bridge heartbeats: is any media-bridge task alive to take a call right now?

Each bridge task refreshes its own item (`beat`) every `BEAT_INTERVAL`; the webhook asks
`alive` before it streams a new call (one Query of a partition holding one small item per
task, no Scan). A fleet whose every beat is older than `FRESHNESS` is dead: new callers go
straight to the fallback instead of into a stream nobody will pick up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Attr, Key

from pitstop.dal import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# How often a task beats, and how old its last beat may be before it counts as dead: three
# missed beats, so one slow write never turns callers away.
BEAT_INTERVAL = timedelta(seconds=10)
FRESHNESS = timedelta(seconds=30)
# A dead task's item lingers this long (then DynamoDB's TTL removes it), so a fleet that died
# reads as "stale" rather than "never seen".
RETENTION = timedelta(days=1)


class HeartbeatRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._shop_id = shop_id

    def beat(self, task_id: str, now: datetime) -> None:
        """Record that `task_id` is alive and taking calls at `now` (one PutItem)."""
        self._table.put_item(
            Item={
                keys.PK: keys.heartbeats(self._shop_id),
                keys.SK: keys.task_sk(task_id),
                "entity": "Heartbeat",
                "task_id": task_id,
                "beat_at": int(now.timestamp()),
                keys.TTL: int((now + RETENTION).timestamp()),
            }
        )

    def alive(self, now: datetime, freshness: timedelta = FRESHNESS) -> bool | None:
        """True if some task beat within `freshness`, False if all beats are stale, None if no
        task has ever beaten (a fleet not yet wired to beat, or a brand-new table)."""
        reply = self._table.query(
            KeyConditionExpression=Key(keys.PK).eq(keys.heartbeats(self._shop_id)),
            FilterExpression=Attr("beat_at").gte(int((now - freshness).timestamp())),
            ProjectionExpression=keys.SK,
            ConsistentRead=True,
        )
        if reply.get("Count", 0):
            return True
        return False if reply.get("ScannedCount", 0) else None
