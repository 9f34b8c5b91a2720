"""Messages taken for the shop (call-back requests): one partition per shop, oldest first.

A message id starts with its creation time (`msg_<utc yyyymmddHHMMSSffffff>_<hex>`), so the shop's
partition Query returns messages in the order they were taken, and one message is a GetItem.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Attr, Key

from pitstop.dal import keys
from pitstop.dal.errors import NotFound
from pitstop.dal.table import from_item, query_all, to_item
from pitstop.models import Message, MessageStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


def message_id(at: datetime) -> str:
    """A message id that sorts by creation time."""
    return f"msg_{at.astimezone(UTC):%Y%m%d%H%M%S%f}_{uuid.uuid4().hex[:6]}"


class MessageRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._client = table.meta.client
        self._shop_id = shop_id

    def add(self, message: Message) -> Message:
        """Store a new message (its id is replaced by a time-ordered one)."""
        stored = message.model_copy(
            update={"message_id": message_id(message.created_at), "shop_id": self._shop_id}
        )
        self._table.put_item(
            Item=to_item(
                stored, pk=keys.messages(self._shop_id), sk=keys.message_sk(stored.message_id)
            ),
            ConditionExpression="attribute_not_exists(pk)",
        )
        return stored

    def list(self, status: MessageStatus | None = MessageStatus.NEW) -> list[Message]:
        """The shop's messages, oldest first (only those in `status`; None: every one)."""
        query: dict = {
            "KeyConditionExpression": Key(keys.PK).eq(keys.messages(self._shop_id))
            & Key(keys.SK).begins_with(keys.MESSAGE)
        }
        if status is not None:
            query["FilterExpression"] = Attr("status").eq(status.value)
        return [from_item(Message, item) for item in query_all(self._table, **query)]

    def get(self, message_id: str) -> Message:
        item = self._table.get_item(Key=self._key(message_id)).get("Item")
        if item is None:
            raise NotFound(f"no message {message_id}")
        return from_item(Message, item)

    def handle(self, message_id: str, by: str, now: datetime) -> Message:
        """Close a message (who called back, when); handling it twice keeps the first close."""
        try:
            reply = self._table.update_item(
                Key=self._key(message_id),
                UpdateExpression="SET #status = :handled, handled_at = :at, handled_by = :by",
                ConditionExpression="attribute_exists(pk) AND #status = :new",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":handled": MessageStatus.HANDLED.value,
                    ":new": MessageStatus.NEW.value,
                    ":at": now.isoformat(),
                    ":by": by,
                },
                ReturnValues="ALL_NEW",
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return self.get(message_id)  # NotFound if it never existed
        return from_item(Message, reply["Attributes"])

    def _key(self, message_id: str) -> dict[str, str]:
        return keys.item_key(keys.messages(self._shop_id), keys.message_sk(message_id))
