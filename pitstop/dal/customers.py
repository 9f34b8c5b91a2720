"""Customers, their vehicles and service history, all in the customer's own partition."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.errors import NotFound, PhoneAlreadyRegistered
from pitstop.dal.table import from_item, from_items, query_all, to_item
from pitstop.models import Appointment, Customer, ServiceRecord, Vehicle

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


@dataclass
class CustomerFile:
    """A customer with everything in their partition, read in one Query."""

    customer: Customer
    vehicles: list[Vehicle] = field(default_factory=list)
    history: list[ServiceRecord] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        return next((v for v in self.vehicles if v.vehicle_id == vehicle_id), None)


# More customers of one name than this is a data problem, not a caller to verify.
_MAX_NAMESAKES = 20


class CustomerRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._client = table.meta.client
        self._shop_id = shop_id

    def ids_for_name(self, name: str) -> list[str]:
        """The customers registered under this full name (normalised), without a Scan.

        The name index item is written with the customer (`create`), so every customer is
        findable; an empty or punctuation-only name finds nobody."""
        if not keys.normalise_name(name):
            return []
        page = self._table.query(
            KeyConditionExpression=Key(keys.PK).eq(keys.name_index(self._shop_id, name)),
            Limit=_MAX_NAMESAKES,
        )
        return [str(item["customer_id"]) for item in page.get("Items", [])]

    def id_for_phone(self, e164: str) -> str | None:
        item = self._table.get_item(Key=keys.item_key(keys.phone(e164), keys.PHONE_OWNER))
        return str(item["Item"]["customer_id"]) if "Item" in item else None

    def file(self, customer_id: str) -> CustomerFile:
        """The customer's whole file; `NotFound` if there is no such customer."""
        items = query_all(
            self._table, KeyConditionExpression=Key(keys.PK).eq(keys.customer(customer_id))
        )
        profile = next((i for i in items if i[keys.SK] == keys.PROFILE), None)
        if profile is None:
            raise NotFound(f"no customer {customer_id}")
        return CustomerFile(
            customer=from_item(Customer, profile),
            vehicles=from_items(Vehicle, items, keys.VEHICLE),
            history=from_items(ServiceRecord, items, keys.SERVICE_RECORD),
            appointments=from_items(Appointment, items, keys.APPOINTMENT),
        )

    def get(self, customer_id: str) -> Customer:
        item = self._table.get_item(Key=self._profile_key(customer_id))
        if "Item" not in item:
            raise NotFound(f"no customer {customer_id}")
        return from_item(Customer, item["Item"])

    def create(self, customer: Customer, vehicles: Sequence[Vehicle] = ()) -> None:
        """Register a customer and their vehicles at once; the phone number must be new.

        The same transaction writes the customer's name index item (`ids_for_name`)."""
        owner = keys.item_key(keys.phone(customer.phone), keys.PHONE_OWNER)
        writes: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": {**owner, "customer_id": customer.customer_id},
                }
            },
            self._put(to_item(customer, pk=keys.customer(customer.customer_id), sk=keys.PROFILE)),
            self._put(
                {
                    keys.PK: keys.name_index(self._shop_id, customer.name),
                    keys.SK: keys.customer(customer.customer_id),
                    "customer_id": customer.customer_id,
                }
            ),
            *[self._put(self._vehicle_item(v)) for v in vehicles],
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise PhoneAlreadyRegistered(customer.customer_id) from error
            raise

    def put_vehicle(self, vehicle: Vehicle) -> None:
        self._table.put_item(Item=self._vehicle_item(vehicle))

    def put_service_record(self, record: ServiceRecord) -> None:
        self._table.put_item(
            Item=to_item(
                record,
                pk=keys.customer(record.customer_id),
                sk=keys.service_record_sk(record.day, record.record_id),
            )
        )

    def set_sms_opt_in(self, customer_id: str, value: bool) -> bool:
        """Record the customer's SMS consent (STOP / START); False if there is no such customer.

        Consent lives on the profile only: every send reads the profile first (`file`), so the
        next text after a STOP is refused before Twilio is asked."""
        try:
            self._table.update_item(
                Key=self._profile_key(customer_id),
                UpdateExpression="SET sms_opt_in = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":v": value},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def set_do_not_call(self, customer_id: str, value: bool = True) -> None:
        """Set or clear the flag on an existing customer; `NotFound` if there is none.

        The flag is copied onto each of the customer's appointments as well: a reminder claim is
        one conditional write on the appointment item, and that condition can only see the
        appointment's own attributes. So an opt-out during a run stops every claim after it.
        """
        try:
            self._table.update_item(
                Key=self._profile_key(customer_id),
                UpdateExpression="SET do_not_call = :v",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":v": value},
            )
        except self._client.exceptions.ConditionalCheckFailedException as error:
            raise NotFound(f"no customer {customer_id}") from error
        appointments = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.customer(customer_id))
            & Key(keys.SK).begins_with(keys.APPOINTMENT),
            ProjectionExpression="pk, sk",
        )
        for item in appointments:
            with suppress(self._client.exceptions.ConditionalCheckFailedException):
                self._table.update_item(
                    Key=keys.item_key(str(item[keys.PK]), str(item[keys.SK])),
                    UpdateExpression="SET reminder_do_not_call = :v",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":v": value},
                )

    def _put(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {"Put": {"TableName": self._table.name, "Item": item}}

    @staticmethod
    def _profile_key(customer_id: str) -> dict[str, str]:
        return keys.item_key(keys.customer(customer_id), keys.PROFILE)

    @staticmethod
    def _vehicle_item(vehicle: Vehicle) -> dict[str, Any]:
        return to_item(
            vehicle, pk=keys.customer(vehicle.customer_id), sk=keys.vehicle_sk(vehicle.vehicle_id)
        )
