"""Customers, their vehicles and service history, all in the customer's own partition."""

from __future__ import annotations

from dataclasses import dataclass, field

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.errors import NotFound, PhoneAlreadyRegistered
from pitstop.dal.table import from_item, query_all, to_item
from pitstop.models import Appointment, Customer, ServiceRecord, Vehicle


@dataclass
class CustomerFile:
    """A customer with everything in their partition, read in one Query."""

    customer: Customer
    vehicles: list[Vehicle] = field(default_factory=list)
    history: list[ServiceRecord] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)

    def vehicle(self, vehicle_id: str) -> Vehicle | None:
        return next((v for v in self.vehicles if v.vehicle_id == vehicle_id), None)


class CustomerRepository:
    def __init__(self, table):
        self._table = table

    def id_for_phone(self, e164: str) -> str | None:
        item = self._table.get_item(Key={keys.PK: keys.phone(e164), keys.SK: "CUSTOMER"})
        return item["Item"]["customer_id"] if "Item" in item else None

    def file(self, customer_id: str) -> CustomerFile:
        """The customer's whole file; `NotFound` if there is no such customer."""
        items = query_all(
            self._table, KeyConditionExpression=Key(keys.PK).eq(keys.customer(customer_id))
        )
        kinds: dict[str, list[dict]] = {}
        for item in items:
            kinds.setdefault(item[keys.SK].split("#", 1)[0], []).append(item)
        if "PROFILE" not in kinds:
            raise NotFound(f"no customer {customer_id}")
        return CustomerFile(
            customer=from_item(Customer, kinds["PROFILE"][0]),
            vehicles=[from_item(Vehicle, i) for i in kinds.get("VEHICLE", [])],
            history=[from_item(ServiceRecord, i) for i in kinds.get("SERVICE", [])],
            appointments=[from_item(Appointment, i) for i in kinds.get("APPT", [])],
        )

    def get(self, customer_id: str) -> Customer:
        item = self._table.get_item(Key={keys.PK: keys.customer(customer_id), keys.SK: "PROFILE"})
        if "Item" not in item:
            raise NotFound(f"no customer {customer_id}")
        return from_item(Customer, item["Item"])

    def create(self, customer: Customer, vehicles: list[Vehicle] = ()) -> None:
        """Register a customer and their vehicles at once; the phone number must be new."""
        client = self._table.meta.client
        writes = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "Item": {
                        keys.PK: keys.phone(customer.phone),
                        keys.SK: "CUSTOMER",
                        "customer_id": customer.customer_id,
                    },
                }
            },
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": to_item(customer, pk=keys.customer(customer.customer_id), sk="PROFILE"),
                }
            },
            *(
                {"Put": {"TableName": self._table.name, "Item": self._vehicle_item(v)}}
                for v in vehicles
            ),
        ]
        try:
            client.transact_write_items(TransactItems=writes)
        except client.exceptions.TransactionCanceledException as error:
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

    def set_do_not_call(self, customer_id: str, value: bool = True) -> None:
        self._table.update_item(
            Key={keys.PK: keys.customer(customer_id), keys.SK: "PROFILE"},
            UpdateExpression="SET do_not_call = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":v": value},
        )

    @staticmethod
    def _vehicle_item(vehicle: Vehicle) -> dict:
        return to_item(
            vehicle, pk=keys.customer(vehicle.customer_id), sk=keys.vehicle_sk(vehicle.vehicle_id)
        )
