"""Call records: one partition per call, holding the record, transcript turns and tool calls.

Twilio's status callbacks arrive in any order and may repeat; a status only ever moves forward
(`CallStatus.rank`), so a late `ringing` never overwrites `completed`.

The record is also what the media stream is trusted by: the webhook writes the call's context
and the id of the one stream token it issued (`open_stream`), and the bridge consumes that id
(`claim_stream`) and reads the context from here, never from the stream's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import Item, from_item, query_all, to_item
from pitstop.models import (
    CallRecord,
    CallStatus,
    StreamContext,
    ToolCallRecord,
    TranscriptTurn,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

    from pitstop.dal.table import AttributeValue

CALL_RETENTION = timedelta(days=365)


class StreamProgress(NamedTuple):
    claimed_at: datetime | None
    finished: bool


# A finished call's rank (`CallStatus.rank` of completed, busy, …): no stream opens after it.
_FINAL_RANK = CallStatus.COMPLETED.rank


class CallRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._client = table.meta.client
        self._shop_id = shop_id

    def start(self, record: CallRecord, now: datetime) -> None:
        """Create the record; a repeated start (webhook retry) leaves the first one in place.

        The record carries the by-day index keys (UTC day, start time) so the console lists a
        day's calls with a Query, never a Scan."""
        item = to_item(
            record,
            pk=keys.call(record.call_sid),
            sk=keys.CALL_RECORD,
            status_rank=record.status.rank,
            ttl=self._ttl(now),
            **self._day_keys(record, now),
        )
        with suppress(self._client.exceptions.ConditionalCheckFailedException):
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")

    def open_stream(self, record: CallRecord, now: datetime) -> CallRecord:
        """Record the call and the stream token granted to it, once; the record as it now is.

        One UpdateItem that only fills in what is missing: on the first answer it writes the
        whole record (or, for a reminder call the reminders Lambda created, adds the token and
        context); on a replayed webhook it changes nothing and returns the first answer's token
        id and expiry, so the replay is answered with the same token, not a fresh one.
        """
        item = to_item(
            record,
            status_rank=record.status.rank,
            ttl=self._ttl(now),
            **self._day_keys(record, now),
        )
        names = {f"#a{i}": name for i, name in enumerate(item)}
        values = {f":a{i}": value for i, value in enumerate(item.values())}
        sets = ", ".join(f"#a{i} = if_not_exists(#a{i}, :a{i})" for i in range(len(item)))
        reply = self._table.update_item(
            Key=self._key(record.call_sid),
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return from_item(CallRecord, reply["Attributes"])

    def claim_stream(self, call_sid: str, token_id: str, now: datetime) -> StreamContext | None:
        """Consume the call's stream token: its context once, None ever after (or once ended).

        The conditional write succeeds for the token id the webhook recorded, only if no stream
        has claimed it yet and the call has not finished: a replayed token, a second concurrent
        stream, or a stream after the call ended all get None. The claim also moves the record
        to in progress (the caller is talking to the agent now): Twilio sends no status callback
        for that, and the console's live card follows the record.
        """
        try:
            reply = self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET stream_claimed_at = :now, #status = :talking, "
                "status_rank = :talking_rank",
                ConditionExpression="stream_token_id = :token AND "
                "attribute_not_exists(stream_claimed_at) AND attribute_not_exists(ended_at) AND "
                "status_rank < :final",
                ExpressionAttributeValues={
                    ":token": token_id,
                    ":now": now.isoformat(),
                    ":final": _FINAL_RANK,
                    ":talking": CallStatus.IN_PROGRESS.value,
                    ":talking_rank": CallStatus.IN_PROGRESS.rank,
                },
                ExpressionAttributeNames={"#status": "status"},
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return from_item(CallRecord, reply["Attributes"]).stream_context()

    def regrant_stream(
        self, call_sid: str, token_id: str, expires: int, resume_reason: str
    ) -> CallRecord | None:
        """Grant the live call a second stream (back to the agent after an unanswered handoff).

        Replaces the consumed token with a new one and clears the claim, only while the call
        is not over; None when it is (or is unknown)."""
        try:
            reply = self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET stream_token_id = :token, stream_token_expires = :expires, "
                "resume_reason = :reason REMOVE stream_claimed_at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(ended_at) "
                "AND status_rank < :final",
                ExpressionAttributeValues={
                    ":token": token_id,
                    ":expires": expires,
                    ":reason": resume_reason,
                    ":final": _FINAL_RANK,
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return from_item(CallRecord, reply["Attributes"])

    def context(self, call_sid: str) -> StreamContext | None:
        """The call's context as the webhook recorded it (None for an unknown call)."""
        record = self.get(call_sid)
        return record.stream_context() if record else None

    def update_status(
        self, call_sid: str, status: CallStatus, fields: Mapping[str, AttributeValue]
    ) -> bool:
        """Apply a status callback unless a later status is already stored; True if applied.

        A repeated final callback (same rank) still applies, but the end of the call
        (`FINAL_FIELDS`) keeps the first value written: a finished record is final."""
        names = {"#status": "status", **{f"#{k}": k for k in fields}}
        values: dict[str, AttributeValue] = {
            ":status": status.value,
            ":rank": status.rank,
            **{f":{k}": v for k, v in fields.items()},
        }
        sets = ", ".join(["#status = :status", "status_rank = :rank", *map(_set_once, fields)])
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

    def take_over(self, call_sid: str, outcome: str, handoff_reason: str) -> None:
        """Staff took the call over: its outcome, kept when the bridge's stream then ends.

        The bridge only sees its stream close (to it, the caller hung up); the copies under
        `TAKEOVER_KEPT` are what its last write (`finish_stream`) keeps instead."""
        fields = {"outcome": outcome, "handoff_reason": handoff_reason}
        self.set_fields(call_sid, {**fields, **{TAKEOVER_KEPT[k]: v for k, v in fields.items()}})

    def count_verify_attempt(self, call_sid: str, limit: int) -> bool:
        """Spend one of the call's `limit` attempts at verifying a caller; False once spent.

        One conditional increment on the record, so concurrent guesses cannot overspend it;
        a call without a record (not one the webhook answered) gets no attempts at all."""
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET verify_attempts = if_not_exists(verify_attempts, :zero) "
                "+ :one",
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(verify_attempts) OR verify_attempts < :limit)",
                ExpressionAttributeValues={":zero": 0, ":one": 1, ":limit": limit},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def bind_verified_customer(self, call_sid: str, customer_id: str) -> None:
        """Record who the caller proved to be: the tools act for them for the rest of the call."""
        self._table.update_item(
            Key=self._key(call_sid),
            UpdateExpression="SET verified_customer_id = :customer",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":customer": customer_id},
        )

    def add_turn(self, call_sid: str, seq: int, turn: TranscriptTurn) -> bool:
        """Write turn `seq` unless that place is taken (False): turns never overwrite."""
        return self._put_new(to_item(turn, pk=keys.call(call_sid), sk=keys.turn_sk(seq)))

    def add_tool_call(self, call_sid: str, seq: int, call: ToolCallRecord) -> bool:
        """Write tool call `seq` unless that place is taken (False)."""
        return self._put_new(to_item(call, pk=keys.call(call_sid), sk=keys.tool_sk(seq)))

    def finish_stream(
        self, call_sid: str, token_id: str, fields: Mapping[str, AttributeValue]
    ) -> bool:
        """The bridge's last write for the stream of token `token_id`: once, and only while
        that token is the call's current grant (False otherwise). A second stream on a stale
        or replayed token, or a repeated finish, cannot rewrite outcome, usage or cost;
        `FINAL_FIELDS`, if given, keep the first value written, and the outcome staff set by
        taking the call over (`take_over`) stays (`TAKEOVER_KEPT`)."""
        sets = ["stream_finished = :token", *map(_set_unless_taken_over, fields)]
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="stream_token_id = :token AND "
                "(attribute_not_exists(stream_finished) OR stream_finished <> :token)",
                ExpressionAttributeNames={f"#{k}": k for k in fields},
                ExpressionAttributeValues={
                    ":token": token_id,
                    **{f":{k}": v for k, v in fields.items()},
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _put_new(self, item: Item) -> bool:
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(sk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, call_sid: str) -> CallRecord | None:
        item = self._table.get_item(Key=self._key(call_sid))
        return from_item(CallRecord, item["Item"]) if "Item" in item else None

    def stream_progress(self, call_sid: str) -> StreamProgress:
        """Where the call's current stream is: claimed by a bridge (when), and finished (the
        bridge's last write for that grant, `finish_stream`, is in). One consistent GetItem."""
        item = self._table.get_item(
            Key=self._key(call_sid),
            ConsistentRead=True,
            ProjectionExpression="stream_token_id, stream_claimed_at, stream_finished",
        ).get("Item", {})
        token, claimed = item.get("stream_token_id"), item.get("stream_claimed_at")
        return StreamProgress(
            claimed_at=datetime.fromisoformat(str(claimed)) if claimed else None,
            finished=bool(token) and item.get("stream_finished") == token,
        )

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

    def _day_keys(self, record: CallRecord, now: datetime) -> dict[str, str]:
        """The by-day index keys (UTC day, start time): the console's call log Queries them."""
        started = (record.started_at or now).astimezone(UTC)
        return {
            keys.GSI1_PK: keys.calls_day(self._shop_id, started.date()),
            keys.GSI1_SK: keys.calls_day_sort(started, record.call_sid),
        }

    @staticmethod
    def _ttl(now: datetime) -> int:
        return int((now + CALL_RETENTION).timestamp())


#: Written once per call: a later callback of the same final status never moves them.
FINAL_FIELDS = frozenset({"ended_at", "duration_seconds"})


#: What a staff takeover decided (`take_over`), kept under these names so that the bridge's end
#: of the stream, which cannot know, does not replace it.
TAKEOVER_KEPT = {"outcome": "takeover_outcome", "handoff_reason": "takeover_handoff_reason"}


def _set_unless_taken_over(name: str) -> str:
    """The SET clause for `name` in the bridge's last write: staff's takeover value if any."""
    if name in TAKEOVER_KEPT:
        return f"#{name} = if_not_exists({TAKEOVER_KEPT[name]}, :{name})"
    return _set_once(name)


def _set_once(name: str) -> str:
    """The SET clause for `name`: kept when already stored if it is one of `FINAL_FIELDS`."""
    if name in FINAL_FIELDS:
        return f"#{name} = if_not_exists(#{name}, :{name})"
    return f"#{name} = :{name}"
