"""The console's call log: the calls that started in a time window, newest first.

Each call record carries by-day index keys (`CALLS#<shop>#<UTC date>`, start time), written when
the call starts, so a window is read with one Query per UTC day it touches (a shop's local day
touches at most two), never a Scan. Filters the console offers on top (direction, outcome,
customer) are applied to that day's records, a few hundred at most.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import from_item, query_all
from pitstop.models import CallRecord

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class CallLog:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._shop_id = shop_id

    def started_between(self, start: datetime, end: datetime) -> list[CallRecord]:
        """Records of calls started in [start, end), newest first."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        records: list[CallRecord] = []
        day = start.date()
        while day <= (end - timedelta(microseconds=1)).date():
            items = query_all(
                self._table,
                IndexName=keys.GSI1,
                KeyConditionExpression=Key(keys.GSI1_PK).eq(keys.calls_day(self._shop_id, day))
                & Key(keys.GSI1_SK).between(start.isoformat(), end.isoformat()),
            )
            records += [from_item(CallRecord, item) for item in items]
            day += timedelta(days=1)
        records = [r for r in records if r.started_at is None or r.started_at < end]
        return sorted(records, key=lambda r: r.started_at or start, reverse=True)
