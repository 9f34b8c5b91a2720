"""The live view's open WebSocket connections, all in one partition per shop.

The fan-out reads every connection with one Query; an item expires by TTL (a browser that vanished
without `$disconnect` is forgotten within the hour), and a `GoneException` from `@connections`
deletes it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import query_all

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# API Gateway closes a WebSocket connection after two hours whatever happens.
CONNECTION_TTL = timedelta(hours=2)


class ConnectionRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._shop_id = shop_id

    def add(self, connection_id: str, user: str, now: datetime) -> None:
        self._table.put_item(
            Item={
                **self._key(connection_id),
                "entity": "LiveConnection",
                "connection_id": connection_id,
                "user": user,
                "connected_at": now.isoformat(),
                keys.TTL: int((now + CONNECTION_TTL).timestamp()),
            }
        )

    def remove(self, connection_id: str) -> None:
        self._table.delete_item(Key=self._key(connection_id))

    def ids(self, now: datetime) -> list[str]:
        """Open connections (expired ones are skipped: TTL deletion lags by up to days)."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.live(self._shop_id)),
        )
        alive = now.timestamp()
        return [str(i["connection_id"]) for i in items if int(i.get(keys.TTL, 0)) > alive]

    def _key(self, connection_id: str) -> dict[str, str]:
        return keys.item_key(keys.live(self._shop_id), keys.connection_sk(connection_id))
