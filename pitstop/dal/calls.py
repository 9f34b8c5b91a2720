"""Call records: one partition per call, holding the record, transcript turns and tool calls.

Twilio's status callbacks arrive in any order and may repeat; a status only ever moves forward
(`CallStatus.rank`), so a late `ringing` never overwrites `completed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import Item, from_item, query_all, to_item
from pitstop.models import CallRecord, CallStatus, ToolCallRecord, TranscriptTurn

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from pitstop.dal.table import AttributeValue

CALL_RETENTION = timedelta(days=365)


class CallRepository:
    def __init__(self, table: Table):
        self._table = table
        self._client = table.meta.client

    def start(self, record: CallRecord, now: datetime) -> None:
        """Create the record; a repeated start (webhook retry) leaves the first one in place."""
        item = to_item(
            record,
            pk=keys.call(record.call_sid),
            sk=keys.CALL_RECORD,
            status_rank=record.status.rank,
            ttl=self._ttl(now),
        )
        with suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def update_status(
        self, call_sid: str, status: CallStatus, fields: Mapping[str, AttributeValue]
    ) -> bool:
        """Apply a status callback unless a later status is already stored; True if applied."""
        names = {"#status": "status", **{f"#{k}": k for k in fields}}
        values: dict[str, AttributeValue] = {
            ":status": status.value,
            ":rank": status.rank,
            **{f":{k}": v for k, v in fields.items()},
        }
        sets = ", ".join(
            ["#status = :status", "status_rank = :rank", *(f"#{k} = :{k}" for k in fields)]
        )
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression=f"SET {sets}",
                ConditionExpression="attribute_not_exists(status_rank) OR status_rank <= :rank",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            return True
        except self._client.exceptions.ConditionalCheckFailedException:
            return False

    def set_fields(self, call_sid: str, fields: Mapping[str, AttributeValue]) -> None:
        """Set attributes on the record (outcome, usage, ended_at …) without touching status."""
        if not fields:
            return
        self._table.update_item(
            Key=self._key(call_sid),
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames={f"#{k}": k for k in fields},
            ExpressionAttributeValues={f":{k}": v for k, v in fields.items()},
        )

    def add_turn(self, call_sid: str, seq: int, turn: TranscriptTurn) -> None:
        self._table.put_item(Item=to_item(turn, pk=keys.call(call_sid), sk=keys.turn_sk(seq)))

    def add_tool_call(self, call_sid: str, seq: int, call: ToolCallRecord) -> None:
        self._table.put_item(Item=to_item(call, pk=keys.call(call_sid), sk=keys.tool_sk(seq)))

    def get(self, call_sid: str) -> CallRecord | None:
        item = self._table.get_item(Key=self._key(call_sid))
        return from_item(CallRecord, item["Item"]) if "Item" in item else None

    def transcript(self, call_sid: str) -> list[TranscriptTurn]:
        return [from_item(TranscriptTurn, i) for i in self._items(call_sid, keys.TURN)]

    def tool_calls(self, call_sid: str) -> list[ToolCallRecord]:
        return [from_item(ToolCallRecord, i) for i in self._items(call_sid, keys.TOOL_CALL)]

    def _items(self, call_sid: str, sk_prefix: str) -> list[Item]:
        return query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.call(call_sid))
            & Key(keys.SK).begins_with(sk_prefix),
        )

    @staticmethod
    def _key(call_sid: str) -> dict[str, str]:
        return keys.item_key(keys.call(call_sid), keys.CALL_RECORD)

    @staticmethod
    def _ttl(now: datetime) -> int:
        return int((now + CALL_RETENTION).timestamp())
