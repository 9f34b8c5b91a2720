"""Call records: one partition per call, holding the record, transcript turns and tool calls.

Twilio's status callbacks arrive in any order and may repeat; a status only ever moves forward,
so a late `ringing` never overwrites `completed`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import from_item, query_all, to_item
from pitstop.models import CallRecord, ToolCallRecord, TranscriptTurn

CALL_RETENTION = timedelta(days=365)

# Twilio's call statuses in the order a call moves through them; the final ones share a rank.
STATUS_RANK = {
    "queued": 0,
    "initiated": 1,
    "ringing": 2,
    "in-progress": 3,
    "answered": 3,
    "completed": 4,
    "busy": 4,
    "no-answer": 4,
    "failed": 4,
    "canceled": 4,
}


class CallRepository:
    def __init__(self, table):
        self._table = table

    def start(self, record: CallRecord, now: datetime) -> None:
        """Create the record; a repeated start (webhook retry) leaves the first one in place."""
        item = to_item(
            record,
            pk=keys.call(record.call_sid),
            sk="RECORD",
            status_rank=STATUS_RANK.get(record.status, 0),
            ttl=self._ttl(now),
        )
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._table.meta.client.exceptions.ConditionalCheckFailedException:
            pass

    def update_status(self, call_sid: str, status: str, fields: dict) -> bool:
        """Apply a status callback unless a later status is already stored; True if applied."""
        rank = STATUS_RANK.get(status, 0)
        names = {"#status": "status", **{f"#{k}": k for k in fields}}
        values = {":status": status, ":rank": rank, **{f":{k}": v for k, v in fields.items()}}
        sets = ", ".join(
            ["#status = :status", "status_rank = :rank", *(f"#{k} = :{k}" for k in fields)]
        )
        try:
            self._table.update_item(
                Key={keys.PK: keys.call(call_sid), keys.SK: "RECORD"},
                UpdateExpression=f"SET {sets}",
                ConditionExpression="attribute_not_exists(status_rank) OR status_rank <= :rank",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            return True
        except self._table.meta.client.exceptions.ConditionalCheckFailedException:
            return False

    def set_fields(self, call_sid: str, fields: dict) -> None:
        """Set attributes on the record (outcome, usage, ended_at …) without touching status."""
        if not fields:
            return
        self._table.update_item(
            Key={keys.PK: keys.call(call_sid), keys.SK: "RECORD"},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames={f"#{k}": k for k in fields},
            ExpressionAttributeValues={f":{k}": v for k, v in fields.items()},
        )

    def add_turn(self, call_sid: str, seq: int, turn: TranscriptTurn) -> None:
        self._table.put_item(Item=to_item(turn, pk=keys.call(call_sid), sk=keys.turn_sk(seq)))

    def add_tool_call(self, call_sid: str, seq: int, call: ToolCallRecord) -> None:
        self._table.put_item(Item=to_item(call, pk=keys.call(call_sid), sk=keys.tool_sk(seq)))

    def get(self, call_sid: str) -> CallRecord | None:
        item = self._table.get_item(Key={keys.PK: keys.call(call_sid), keys.SK: "RECORD"})
        return from_item(CallRecord, item["Item"]) if "Item" in item else None

    def transcript(self, call_sid: str) -> list[TranscriptTurn]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.call(call_sid))
            & Key(keys.SK).begins_with("TURN#"),
        )
        return [from_item(TranscriptTurn, i) for i in items]

    def tool_calls(self, call_sid: str) -> list[ToolCallRecord]:
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.call(call_sid))
            & Key(keys.SK).begins_with("TOOL#"),
        )
        return [from_item(ToolCallRecord, i) for i in items]

    @staticmethod
    def _ttl(now: datetime) -> int:
        return int((now + CALL_RETENTION).timestamp())
