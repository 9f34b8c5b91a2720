"""Appointments and the bay time they hold, written together in transactions.

An appointment lives in its customer's partition (so ownership is part of its key), carries the
by-day index keys (reminders), and holds one `SLOTS#` item per granule of bay time (availability
and race-free booking) and one `VTIME#` item per granule of its vehicle's time, so one car
cannot be booked into two bays at once: a concurrent booking of the same car collides on those
items inside the same transaction, instead of passing a read made before the write.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key

from pitstop.dal import keys
from pitstop.dal.errors import NotFound, SlotTaken, StaleAppointment, VehicleBusy
from pitstop.dal.table import from_item, query_all, to_item
from pitstop.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from pitstop.scheduling import granules

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from pitstop.dal.table import AttributeValue

_CONFLICT_RETRIES = 3


class AppointmentRepository:
    def __init__(self, table: Table, slot_minutes: int = 30):
        self._table = table
        self._client = table.meta.client
        self._slot_minutes = slot_minutes

    # --- reads -------------------------------------------------------------------------
    def get(self, customer_id: str, appointment_id: str) -> Appointment:
        """The appointment, only if it belongs to this customer (`NotFound` otherwise)."""
        item = self._table.get_item(Key=self._key(customer_id, appointment_id))
        if "Item" not in item:
            raise NotFound(f"no appointment {appointment_id} for {customer_id}")
        return from_item(Appointment, item["Item"])

    def on_day(self, shop_id: str, day: date) -> list[Appointment]:
        """Every appointment starting on `day`, in start order, through the by-day index."""
        items = query_all(
            self._table,
            IndexName=keys.GSI1,
            KeyConditionExpression=Key(keys.GSI1_PK).eq(keys.day_index(shop_id, day)),
        )
        return [from_item(Appointment, i) for i in items]

    def taken(self, shop_id: str, day: date) -> set[tuple[str, str]]:
        """(bay, HH:MM) granules held on `day`: one Query feeds the availability search."""
        items = query_all(
            self._table,
            KeyConditionExpression=Key(keys.PK).eq(keys.slots(shop_id, day)),
            ProjectionExpression="sk",
        )
        return {_bay_and_hhmm(i[keys.SK]) for i in items}

    # --- writes ------------------------------------------------------------------------
    def book(self, appointment: Appointment) -> None:
        """Hold the bay time and store the appointment at once; `SlotTaken` if a granule is held."""
        writes: list[TransactWriteItemTypeDef] = [
            self._hold(appointment, hhmm) for hhmm in self._granules(appointment)
        ]
        writes += [self._hold_vehicle(appointment, t) for t in self._granules(appointment)]
        writes.append(
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": self._item(appointment),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        )
        self._transact(writes)

    def cancel(self, appointment: Appointment, reason: str = "") -> Appointment:
        """Free the bay time and mark the appointment cancelled, or change nothing."""
        writes: list[TransactWriteItemTypeDef] = [
            self._release(appointment, hhmm) for hhmm in self._granules(appointment)
        ]
        writes += [self._release_vehicle(appointment, t) for t in self._granules(appointment)]
        writes.append(
            self._update(
                appointment,
                "SET #status = :cancelled, notes = :notes",
                {
                    ":cancelled": AppointmentStatus.CANCELLED.value,
                    ":notes": (appointment.notes + f" Cancelled: {reason}").strip(),
                },
            )
        )
        self._transact(writes)
        return appointment.model_copy(update={"status": AppointmentStatus.CANCELLED})

    def reschedule(
        self, appointment: Appointment, start: datetime, end: datetime, bay: str
    ) -> Appointment:
        """Take the new bay time and free the old one in one transaction, or change nothing."""
        moved = appointment.model_copy(
            update={"start": start, "end": end, "bay": bay, "status": AppointmentStatus.SCHEDULED}
        )
        old = {(appointment.day, appointment.bay, t) for t in self._granules(appointment)}
        new = {(moved.day, moved.bay, t) for t in self._granules(moved)}
        writes = [self._hold(moved, t, day=d, bay=b) for d, b, t in sorted(new - old)]
        writes += [self._release(appointment, t, day=d, bay=b) for d, b, t in sorted(old - new)]
        old_time = {(d, t) for d, _, t in old}
        new_time = {(d, t) for d, _, t in new}
        writes += [self._hold_vehicle(moved, t, day=d) for d, t in sorted(new_time - old_time)]
        writes += [
            self._release_vehicle(appointment, t, day=d) for d, t in sorted(old_time - new_time)
        ]
        writes.append(
            self._update(
                appointment,
                "SET #start = :start, #end = :end, bay = :bay, gsi1pk = :gpk, gsi1sk = :gsk, "
                "#status = :scheduled",
                {
                    ":start": start.isoformat(),
                    ":end": end.isoformat(),
                    ":bay": bay,
                    ":gpk": keys.day_index(moved.shop_id, moved.day),
                    ":gsk": keys.day_index_sort(start, moved.appointment_id),
                    ":scheduled": AppointmentStatus.SCHEDULED.value,
                },
                extra_names={"#start": "start", "#end": "end"},
            )
        )
        self._transact(writes)
        return moved

    def set_status(self, appointment: Appointment, status: AppointmentStatus) -> Appointment:
        """Change status (e.g. confirmed) while the appointment is still active and unmoved."""
        self._transact([self._update(appointment, "SET #status = :new", {":new": status.value})])
        return appointment.model_copy(update={"status": status})

    # --- building blocks -----------------------------------------------------------------
    def _granules(self, appointment: Appointment) -> list[str]:
        return granules(appointment.start, appointment.end, self._slot_minutes)

    def _item(self, appointment: Appointment) -> dict[str, Any]:
        # `start`/`end` as isoformat(): the optimistic-concurrency condition compares that text.
        return to_item(
            appointment,
            pk=keys.customer(appointment.customer_id),
            sk=keys.appointment_sk(appointment.appointment_id),
            gsi1pk=keys.day_index(appointment.shop_id, appointment.day),
            gsi1sk=keys.day_index_sort(appointment.start, appointment.appointment_id),
            start=appointment.start.isoformat(),
            end=appointment.end.isoformat(),
        )

    def _key(self, customer_id: str, appointment_id: str) -> dict[str, str]:
        return keys.item_key(keys.customer(customer_id), keys.appointment_sk(appointment_id))

    def _hold(
        self, appointment: Appointment, hhmm: str, day: date | None = None, bay: str | None = None
    ) -> TransactWriteItemTypeDef:
        return self._take(self._slot_key(appointment, hhmm, day, bay), appointment)

    def _release(
        self, appointment: Appointment, hhmm: str, day: date | None = None, bay: str | None = None
    ) -> TransactWriteItemTypeDef:
        return self._free(self._slot_key(appointment, hhmm, day, bay), appointment)

    def _hold_vehicle(
        self, appointment: Appointment, hhmm: str, day: date | None = None
    ) -> TransactWriteItemTypeDef:
        return self._take(self._vehicle_key(appointment, hhmm, day), appointment)

    def _release_vehicle(
        self, appointment: Appointment, hhmm: str, day: date | None = None
    ) -> TransactWriteItemTypeDef:
        return self._free(self._vehicle_key(appointment, hhmm, day), appointment)

    def _take(self, key: dict[str, str], appointment: Appointment) -> TransactWriteItemTypeDef:
        """Hold one granule (bay or vehicle time): fails if any appointment holds it."""
        return {
            "Put": {
                "TableName": self._table.name,
                "Item": {**key, "appointment_id": appointment.appointment_id},
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",  # who holds it
            }
        }

    def _free(self, key: dict[str, str], appointment: Appointment) -> TransactWriteItemTypeDef:
        """Free a granule this appointment holds (a missing one is fine: bookings made before
        vehicle time existed hold none)."""
        return {
            "Delete": {
                "TableName": self._table.name,
                "Key": key,
                "ConditionExpression": "attribute_not_exists(pk) OR appointment_id = :id",
                "ExpressionAttributeValues": {":id": appointment.appointment_id},
            }
        }

    @staticmethod
    def _vehicle_key(appointment: Appointment, hhmm: str, day: date | None) -> dict[str, str]:
        """One granule of the vehicle's own time."""
        return keys.item_key(
            keys.vehicle_time(appointment.vehicle_id, day or appointment.day), hhmm
        )

    def _update(
        self,
        appointment: Appointment,
        expression: str,
        values: Mapping[str, AttributeValue],
        extra_names: Mapping[str, str] | None = None,
    ) -> TransactWriteItemTypeDef:
        """An update guarded by optimistic concurrency: still active, still at the time we read."""
        return {
            "Update": {
                "TableName": self._table.name,
                "Key": self._key(appointment.customer_id, appointment.appointment_id),
                "UpdateExpression": expression,
                "ConditionExpression": "#status IN (:a1, :a2) AND #start = :read_start",
                "ExpressionAttributeNames": {
                    "#status": "status",
                    "#start": "start",
                    **(extra_names or {}),
                },
                "ExpressionAttributeValues": {
                    **values,
                    ":a1": ACTIVE_STATUSES[0].value,
                    ":a2": ACTIVE_STATUSES[1].value,
                    ":read_start": appointment.start.isoformat(),
                },
            }
        }

    @staticmethod
    def _slot_key(
        appointment: Appointment, hhmm: str, day: date | None, bay: str | None
    ) -> dict[str, str]:
        """One granule of bay time: the appointment's own unless `day`/`bay` say otherwise."""
        return keys.item_key(
            keys.slots(appointment.shop_id, day or appointment.day),
            keys.slot_sk(bay or appointment.bay, hhmm),
        )

    def _transact(self, writes: list[TransactWriteItemTypeDef]) -> None:
        """Run a transaction; map a failed condition to `SlotTaken`/`StaleAppointment`.

        A pure `TransactionConflict` (another transaction touching the same items right now) is
        retried, so a loser of a race is told "taken" only when the winner really committed.
        """
        for attempt in range(_CONFLICT_RETRIES):
            try:
                self._client.transact_write_items(TransactItems=writes)
                return
            except self._client.exceptions.TransactionCanceledException as error:
                codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
                if "ConditionalCheckFailed" in codes:
                    index = codes.index("ConditionalCheckFailed")
                    reason = error.response["CancellationReasons"][index]
                    raise _refusal(writes[index], reason.get("Item") or {}) from error
                if attempt == _CONFLICT_RETRIES - 1 or "TransactionConflict" not in codes:
                    raise


def _refusal(failed: TransactWriteItemTypeDef, holder: Mapping[str, Any]) -> Exception:
    """Which condition of a booking transaction failed, as the data layer's refusal.

    `holder` is the item that held the granule, in the low-level form DynamoDB returns it.
    """
    if "Update" in failed:
        return StaleAppointment()
    put = failed.get("Put")
    if put and str(put["Item"][keys.PK]).startswith(keys.VEHICLE_TIME):
        return VehicleBusy(str(holder.get("appointment_id", {}).get("S", "")))
    return SlotTaken()


def _bay_and_hhmm(slot_sk: object) -> tuple[str, str]:
    bay, hhmm = str(slot_sk).split("#", 1)
    return bay, hhmm
