"""Reading DynamoDB Stream records of the table as call changes (the live view's source).

A stream record names its item by key; only this layer knows that `CALL#<sid>` / `RECORD` is a
call record and `TURN#00003` a transcript turn. The Lambda on the table's stream and the local
stand-in (which reads moto's stream through `dynamodbstreams`) pass the same records here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from pydantic import ValidationError

from pitstop.dal import keys
from pitstop.dal.table import from_item
from pitstop.models import CallRecord, ToolCallRecord, TranscriptTurn

_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class CallChange:
    """A call's record, or one transcript turn or tool call, as just written."""

    call_sid: str
    record: CallRecord | None = None
    turn: TranscriptTurn | None = None
    tool_call: ToolCallRecord | None = None
    seq: int = 0


def call_change(stream_record: Mapping[str, Any]) -> CallChange | None:
    """The change a stream record carries, or None (not a call item, a delete, no new image)."""
    data = stream_record.get("dynamodb") or {}
    image = data.get("NewImage")
    if stream_record.get("eventName") == "REMOVE" or not image:
        return None
    item = {name: _deserializer.deserialize(value) for name, value in image.items()}
    pk, sk = str(item.get(keys.PK, "")), str(item.get(keys.SK, ""))
    if not pk.startswith(keys.CALL):
        return None
    try:
        return _change(pk.removeprefix(keys.CALL), sk, item)
    except ValidationError:
        # A partial item (e.g. a status callback that arrived before the call's start was
        # written) is not yet a record; the write that completes it brings the next change.
        return None


def _change(call_sid: str, sk: str, item: dict[str, Any]) -> CallChange | None:
    if sk == keys.CALL_RECORD:
        return CallChange(call_sid, record=from_item(CallRecord, item))
    if sk.startswith(keys.TURN):
        seq = int(sk.removeprefix(keys.TURN))
        return CallChange(call_sid, turn=from_item(TranscriptTurn, item), seq=seq)
    if sk.startswith(keys.TOOL_CALL):
        seq = int(sk.removeprefix(keys.TOOL_CALL))
        return CallChange(call_sid, tool_call=from_item(ToolCallRecord, item), seq=seq)
    return None
