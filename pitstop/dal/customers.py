"""Customers, their vehicles and service history, all in the customer's own partition."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Attr, Key

from pitstop.dal import keys
from pitstop.dal.errors import NotFound, PhoneAlreadyRegistered
from pitstop.dal.table import Item, from_item, from_items, query_all, to_item
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


@dataclass(frozen=True)
class StoredCode:
    """A texted verification code as kept: only its salted hash, never the digits."""

    salt: str
    code_hash: str


@dataclass
class IndexBackfill:
    """What `backfill_indexes` did: index items written, and those already there."""

    written: dict[str, int] = field(default_factory=lambda: {"name": 0, "plate": 0, "vin": 0})
    present: dict[str, int] = field(default_factory=lambda: {"name": 0, "plate": 0, "vin": 0})
    customers: int = 0
    vehicles: int = 0


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

    def ids_for_plate(self, plate: str) -> list[str]:
        """The customers with a vehicle of this plate (spacing, dashes and case forgiven)."""
        plain = keys.plain_id(plate)
        if not plain:
            return []
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.plate_index(self._shop_id, plain)),
        )
        return self._owners(items, lambda v: keys.plain_id(v.plate or "") == plain)

    def ids_for_vin(self, vin: str) -> list[str]:
        """The customers with a vehicle whose VIN is, or ends with, `vin` (6 characters at
        least: a shorter ending matches too many cars to mean anyone)."""
        plain = keys.plain_id(vin)
        if len(plain) < keys.VIN_ENDING_LEN:
            return []
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.vin_index(self._shop_id, plain)),
        )
        items = [i for i in items if str(i["vin"]).endswith(plain)]
        return self._owners(items, lambda v: keys.plain_id(v.vin or "").endswith(plain))

    def _owners(self, index_items: list[Item], still: Callable[[Vehicle], bool]) -> list[str]:
        """The customers of index items whose vehicle still matches: an index item left by a
        plate or VIN since corrected finds nobody (one GetItem per hit)."""
        owners: list[str] = []
        for item in index_items:
            customer_id, vehicle_id = str(item["customer_id"]), str(item["vehicle_id"])
            key = keys.item_key(keys.customer(customer_id), keys.vehicle_sk(vehicle_id))
            vehicle = self._table.get_item(Key=key).get("Item")
            if vehicle and still(from_item(Vehicle, vehicle)) and customer_id not in owners:
                owners.append(customer_id)
        return owners

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

        The same transaction writes the customer's name index item (`ids_for_name`) and each
        vehicle's plate and VIN index items (`ids_for_plate`, `ids_for_vin`)."""
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
            self._put(self._name_index_item(customer)),
            *[self._put(item) for v in vehicles for item in self._vehicle_items(v)],
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
        except self._client.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise PhoneAlreadyRegistered(customer.customer_id) from error
            raise

    def put_vehicle(self, vehicle: Vehicle) -> None:
        """The vehicle with its plate and VIN index items, in one transaction. An index item
        left by an earlier plate is harmless: searches check the file they find."""
        self._client.transact_write_items(
            TransactItems=[self._put(item) for item in self._vehicle_items(vehicle)]
        )

    def backfill_indexes(self) -> IndexBackfill:
        """Write the index items customers and vehicles stored before those indexes existed.

        A maintenance run (a Scan of customer partitions, never on a call path); each item is
        put only if missing, so a second run writes nothing and a customer written meanwhile
        is untouched."""
        report = IndexBackfill()
        scan: dict[str, Any] = {
            "FilterExpression": Attr(keys.PK).begins_with(keys.CUSTOMER)
            & (Attr(keys.SK).eq(keys.PROFILE) | Attr(keys.SK).begins_with(keys.VEHICLE))
        }
        while True:
            page = self._table.scan(**scan)
            for item in page.get("Items", []):
                self._backfill_item(item, report)
            if "LastEvaluatedKey" not in page:
                return report
            scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _backfill_item(self, item: dict[str, Any], report: IndexBackfill) -> None:
        if item[keys.SK] == keys.PROFILE:
            report.customers += 1
            indexes = [("name", self._name_index_item(from_item(Customer, item)))]
        else:
            report.vehicles += 1
            indexes = self._vehicle_indexes(from_item(Vehicle, item))
        for kind, index in indexes:
            written = self._put_missing(index)
            (report.written if written else report.present)[kind] += 1

    def _put_missing(self, item: dict[str, Any]) -> bool:
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

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

    def put_code(
        self, customer_id: str, call_sid: str, code: StoredCode, expires: datetime
    ) -> None:
        """Keep the code texted to this customer on this call (a new one replaces the last,
        with fresh tries); the table's TTL removes it once it has expired."""
        expires_at = int(expires.timestamp())
        self._table.put_item(
            Item={
                **keys.item_key(keys.customer(customer_id), keys.verify_code_sk(call_sid)),
                "salt": code.salt,
                "code_hash": code.code_hash,
                "expires_at": expires_at,
                "tries": 0,
                keys.TTL: expires_at,
            }
        )

    def spend_code_try(
        self, customer_id: str, call_sid: str, now: datetime, limit: int
    ) -> StoredCode | None:
        """Spend one of the code's `limit` tries and return it; None when there is no live code
        (never sent, expired, used, or out of tries). One conditional update: concurrent
        tries cannot overspend it."""
        try:
            item = self._table.update_item(
                Key=keys.item_key(keys.customer(customer_id), keys.verify_code_sk(call_sid)),
                UpdateExpression="SET tries = tries + :one",
                ConditionExpression="attribute_exists(pk) AND tries < :limit AND expires_at > :now",
                ExpressionAttributeValues={
                    ":one": 1,
                    ":limit": limit,
                    ":now": int(now.timestamp()),
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return StoredCode(salt=str(item["salt"]), code_hash=str(item["code_hash"]))

    def use_code(self, customer_id: str, call_sid: str, code: StoredCode) -> bool:
        """Remove the matched code (single use); False if another try already used it."""
        try:
            self._table.delete_item(
                Key=keys.item_key(keys.customer(customer_id), keys.verify_code_sk(call_sid)),
                ConditionExpression="code_hash = :hash",
                ExpressionAttributeValues={":hash": code.code_hash},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _put(self, item: dict[str, Any]) -> TransactWriteItemTypeDef:
        return {"Put": {"TableName": self._table.name, "Item": item}}

    @staticmethod
    def _profile_key(customer_id: str) -> dict[str, str]:
        return keys.item_key(keys.customer(customer_id), keys.PROFILE)

    def _name_index_item(self, customer: Customer) -> dict[str, Any]:
        return {
            keys.PK: keys.name_index(self._shop_id, customer.name),
            keys.SK: keys.customer(customer.customer_id),
            "customer_id": customer.customer_id,
        }

    def _vehicle_items(self, vehicle: Vehicle) -> list[dict[str, Any]]:
        """The vehicle item and its index items: what is written together."""
        return [self._vehicle_item(vehicle), *(i for _, i in self._vehicle_indexes(vehicle))]

    def _vehicle_indexes(self, vehicle: Vehicle) -> list[tuple[str, dict[str, Any]]]:
        """(kind, item) for each index the vehicle belongs in: by plate, by VIN ending."""
        owner = {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.vehicle_id}
        plate = keys.plain_id(vehicle.plate or "")
        vin = keys.plain_id(vehicle.vin or "")
        indexes: list[tuple[str, dict[str, Any]]] = []
        if plate:
            pk = keys.plate_index(self._shop_id, plate)
            sk = keys.vehicle_sk(vehicle.vehicle_id)
            indexes.append(("plate", {keys.PK: pk, keys.SK: sk, **owner}))
        if len(vin) >= keys.VIN_ENDING_LEN:
            pk, sk = keys.vin_index(self._shop_id, vin), keys.vin_index_sk(vin, vehicle.vehicle_id)
            indexes.append(("vin", {keys.PK: pk, keys.SK: sk, "vin": vin, **owner}))
        return indexes

    @staticmethod
    def _vehicle_item(vehicle: Vehicle) -> dict[str, Any]:
        return to_item(
            vehicle, pk=keys.customer(vehicle.customer_id), sk=keys.vehicle_sk(vehicle.vehicle_id)
        )
