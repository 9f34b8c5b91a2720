"""The appointments board (a day by bays) and the customers search.

Moving and cancelling run the agent's own tools (`run_tool`): the same checks, the same race-free
transactions, the same confirmation text, so the board and the phone can never disagree about
what a move is. A refusal (slot taken, in the past, already cancelled) comes back as 409 with the
tool's own message and, for a taken slot, its alternatives.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from functions.admin.calls import shop_day
from functions.admin.services import Refusal, services
from pitstop.dal import NotFound
from pitstop.phone import InvalidPhoneNumber, normalize_e164
from pitstop.tools import ToolContext, run_tool

router = Router()


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1)
    start: datetime = Field(description="new start (ISO; without an offset: the shop's time)")
    bay: str | None = None


class Cancel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1)
    reason: str = Field(default="cancelled from the console", max_length=300)


@router.get("/admin/appointments")
def board(day: Annotated[date | None, Query(alias="date")] = None) -> dict[str, Any]:
    """The day's appointments with customer names, and the bays that are the board's rows."""
    svc = services()
    day, _, _ = shop_day(day)
    catalog = svc.crm.shops.catalog()
    appointments = svc.crm.appointments.on_day(catalog.shop.shop_id, day)
    customers = svc.crm.reminders.customers({a.customer_id for a in appointments})
    return {
        "date": day.isoformat(),
        "bays": [b.model_dump(mode="json") for b in catalog.bays.values()],
        "appointments": [
            {
                **a.model_dump(mode="json", exclude_none=True),
                "service_name": s.name if (s := catalog.services.get(a.service_type)) else "",
                "customer_name": c.name if (c := customers.get(a.customer_id)) else "",
            }
            for a in appointments
        ],
    }


def _tool(name: str, arguments: dict[str, Any], customer_id: str) -> dict[str, Any]:
    svc = services()
    context = ToolContext(customer_id=customer_id)
    result = run_tool(name, arguments, context, svc.crm, svc.telephony)
    if not result.get("ok", True):
        detail = {k: v for k, v in result.items() if k not in ("ok", "error", "message")}
        raise Refusal(409, str(result.get("error")), str(result.get("message")), detail)
    return result


@router.post("/admin/appointments/<appointment_id>/move")
def move(appointment_id: str, body: Annotated[Move, Body()]) -> dict[str, Any]:
    moved = _tool(
        "reschedule_appointment",
        {"appointment_id": appointment_id, "new_start": body.start.isoformat(), "bay": body.bay},
        body.customer_id,
    )
    sms = _tool("send_sms_confirmation", {"appointment_id": appointment_id}, body.customer_id)
    return {**moved, "sms": sms}


@router.post("/admin/appointments/<appointment_id>/cancel")
def cancel(appointment_id: str, body: Annotated[Cancel, Body()]) -> dict[str, Any]:
    return _tool(
        "cancel_appointment",
        {"appointment_id": appointment_id, "reason": body.reason},
        body.customer_id,
    )


@router.get("/admin/customers")
def search(
    phone: Annotated[str | None, Query(min_length=3)] = None,
    name: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
    plate: Annotated[str | None, Query(min_length=2, max_length=16)] = None,
    vin: Annotated[str | None, Query(min_length=6, max_length=17)] = None,
) -> dict[str, Any]:
    """Customers by phone (one GetItem on the phone index), by full name (the name index,
    accents, case and punctuation forgiven), by plate (case and spacing forgiven) or by VIN
    (a full VIN or its last 6+ characters), each with their file."""
    if sum(q is not None for q in (phone, name, plate, vin)) != 1:
        raise Refusal(
            422, "invalid_search", "Search by phone, name, plate or VIN (exactly one of them)."
        )
    customers = services().crm.customers
    if name is not None:
        return {"customers": [_file(c) for c in customers.ids_for_name(name)]}
    if plate is not None:
        return {"customers": [_file(c) for c in customers.ids_for_plate(plate)]}
    if vin is not None:
        return {"customers": [_file(c) for c in customers.ids_for_vin(vin)]}
    try:
        e164 = normalize_e164(str(phone))
    except InvalidPhoneNumber as error:
        raise Refusal(422, "invalid_phone", f"{phone!r} is not a phone number.") from error
    customer_id = customers.id_for_phone(e164)
    return {"customers": [_file(customer_id)] if customer_id else []}


@router.get("/admin/customers/<customer_id>")
def customer(customer_id: str) -> dict[str, Any]:
    return _file(customer_id)


def _file(customer_id: str) -> dict[str, Any]:
    try:
        file = services().crm.customers.file(customer_id)
    except NotFound as error:
        raise Refusal(404, "not_found", f"No customer {customer_id}.") from error
    return {
        "customer": file.customer.model_dump(mode="json"),
        "vehicles": [v.model_dump(mode="json") for v in file.vehicles],
        "history": [h.model_dump(mode="json") for h in file.history],
        "appointments": [a.model_dump(mode="json", exclude_none=True) for a in file.appointments],
    }
