"""Text exchanges about an appointment, kept in the customer's partition beside it.

A reminder SMS, the customer's reply and our answer are each one item, so the shop sees the
whole conversation on the appointment, and a reply is matched to the reminder it answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.table import from_item, query_all, to_item
from pitstop.models import TextExchange

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class TextRepository:
    def __init__(self, table: Table):
        self._table = table

    def claim_reminder_text(self, customer_id: str, appointment_id: str, now: datetime) -> bool:
        """Mark the appointment's reminder as texted, once: True for the one caller who may send.

        A conditional write on the appointment item itself, so two callbacks racing (the
        voicemail answer and the `completed` status) cannot both send."""
        client = self._table.meta.client
        try:
            self._table.update_item(
                Key=keys.item_key(keys.customer(customer_id), keys.appointment_sk(appointment_id)),
                UpdateExpression="SET reminder_texted_at = :now",
                ConditionExpression="attribute_exists(pk) "
                "AND attribute_not_exists(reminder_texted_at)",
                ExpressionAttributeValues={":now": now.isoformat()},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add(self, text: TextExchange) -> None:
        self._table.put_item(
            Item=to_item(
                text,
                pk=keys.customer(text.customer_id),
                sk=keys.text_sk(text.appointment_id, text.at, text.text_id),
            )
        )

    def for_appointment(self, customer_id: str, appointment_id: str) -> list[TextExchange]:
        """The appointment's texts, oldest first."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.customer(customer_id))
            & Key(keys.SK).begins_with(keys.text_prefix(appointment_id)),
        )
        return [from_item(TextExchange, item) for item in items]
