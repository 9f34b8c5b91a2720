"""What is written on a call record after (or beside) the call: summary and cost once, the SMS
segments sent on it, and the recording Twilio made of a call the bridge did not carry.

The summary and the cost are one conditional write: a stream record delivered twice, or a batch
retried after a partial failure, finds the summary there and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pitstop.dal import keys
from pitstop.models import CallCost, CallStatus, CallSummary

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def _dynamo(value: dict[str, Any]) -> Any:
    return json.loads(json.dumps(value), parse_float=Decimal)


def finished_call_sid(item: Mapping[str, Any]) -> str | None:
    """The call SID if `item` (a stream image) is a finished call record with no summary yet.

    Finished: Twilio's final status callback has landed and, for a call the bridge carried,
    the bridge's last write for its current stream too. The two arrive in either order, and
    whichever lands second makes the record finished. A call the bridge never carried
    (fallback, after hours) has only the webhook's writes and the status callback.
    A claimed stream is done when the bridge's last write names the current token
    (`stream_finished`); a resumed stream (after an unanswered handoff) has a new token, so the
    first stream's write does not count for it."""
    if item.get(keys.SK) != keys.CALL_RECORD or not str(item.get(keys.PK, "")).startswith(
        keys.CALL
    ):
        return None
    if "summary" in item or "call_sid" not in item:
        return None
    try:
        final = CallStatus(str(item.get("status"))).final
    except ValueError:
        return None
    streaming = "stream_claimed_at" in item and item.get("stream_finished") != item.get(
        "stream_token_id"
    )
    return str(item["call_sid"]) if final and not streaming else None


class AfterCallRepository:
    def __init__(self, table: Table):
        self._table = table
        self._client = table.meta.client

    @staticmethod
    def _key(call_sid: str) -> dict[str, str]:
        return keys.item_key(keys.call(call_sid), keys.CALL_RECORD)

    def write_once(self, call_sid: str, summary: CallSummary, cost: CallCost) -> bool:
        """Put the summary and cost on the record unless a summary is there (False then)."""
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET summary = :summary, #cost = :cost",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(summary)",
                ExpressionAttributeNames={"#cost": "cost"},
                ExpressionAttributeValues={
                    ":summary": _dynamo(summary.model_dump(mode="json", exclude_none=True)),
                    ":cost": _dynamo(cost.model_dump(mode="json")),
                },
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_sms_segments(self, call_sid: str, segments: int) -> None:
        """Count `segments` more SMS segments against the call (an atomic ADD, no read)."""
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="ADD sms_segments :n",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":n": segments},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return  # not a call we recorded (a console test text): nothing to count it on

    def link_twilio_recording(self, call_sid: str, sid: str, url: str, seconds: int) -> bool:
        """Link Twilio's recording on the record (a repeated callback writes the same values);
        False for a call we have no record of."""
        try:
            self._table.update_item(
                Key=self._key(call_sid),
                UpdateExpression="SET twilio_recording_sid = :sid, twilio_recording_url = :url, "
                "twilio_recording_seconds = :seconds",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":sid": sid, ":url": url, ":seconds": seconds},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True
