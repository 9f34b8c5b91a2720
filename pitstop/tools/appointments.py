"""Booking, moving, cancelling and confirming appointments for the customer on the call.

Every write goes through `crm.appointments`, whose transactions hold bay time granule by
granule: the table, not this code, decides who wins a race. This module only chooses which bay
to try, and turns the data layer's refusals into sentences the agent can say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import Field

from pitstop.dal import NotFound, SlotTaken, StaleAppointment, VehicleBusy
from pitstop.models import Appointment, AppointmentStatus, ServiceType, Vehicle, new_id
from pitstop.scheduling import granules
from pitstop.tools.availability import (
    capable_bays,
    check_start,
    find_slots,
    free_bay,
    service_or_refuse,
    taken_reader,
)
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, CalendarDatetime, Refusal, Result
from pitstop.tools.views import AppointmentView, SlotView

T = TypeVar("T")

CUSTOMER_ID = Field(
    default=None, description="Leave empty: it defaults to the customer on the call."
)


class WrongStatus(Refusal):
    """The appointment is no longer active (cancelled, completed, no-show)."""

    status: str


class TakenWithAlternatives(Refusal):
    """The time was taken meanwhile; the nearest free slots to offer instead."""

    alternatives: list[SlotView]


class AlreadyBooked(Refusal):
    """The vehicle is booked in at an overlapping time already."""

    appointment_id: str


def owned_appointment(env: ToolEnv, customer_id: str, appointment_id: str) -> Appointment:
    """The appointment if it is this customer's (ownership is part of the key): one GetItem."""
    try:
        return env.crm.appointments.get(customer_id, appointment_id)
    except NotFound as error:
        raise Refused(
            Refusal(
                error="not_found",
                message="I can't find that appointment on your "
                "account. Let me check your upcoming appointments.",
            )
        ) from error


def _require_active_future(env: ToolEnv, appointment: Appointment, verb: str) -> None:
    if not appointment.active:
        raise Refused(
            WrongStatus(
                error="not_allowed",
                status=str(appointment.status),
                message=f"That appointment is {appointment.status}, so I can't {verb} it.",
            )
        )
    if appointment.start <= env.now:
        raise Refused(
            Refusal(
                error="in_the_past",
                message=f"That appointment has already started, so I can't {verb} it.",
            )
        )


def claim_bay(
    env: ToolEnv,
    bays: list[str],
    preferred: str | None,
    start: datetime,
    end: datetime,
    attempt: Callable[[str], T],
    own: frozenset[tuple[str, str]] = frozenset(),
) -> T | None:
    """Run `attempt(bay)` on the preferred bay, then on other capable bays free at `start`.

    The preferred bay is tried blind (one transaction, no read); only when it is taken do we read
    the day's granules to pick another bay. `own` are granules the appointment being moved holds.
    """
    tried: set[str] = set()
    if preferred in bays:
        tried.add(preferred)
        try:
            return attempt(preferred)
        except SlotTaken:
            pass
    hhmms = granules(start, end, env.catalog.shop.slot_minutes)
    taken = env.crm.appointments.taken(env.catalog.shop.shop_id, start.date()) - own
    for bay in bays:
        if bay in tried or free_bay([bay], hhmms, taken) is None:
            continue
        try:
            return attempt(bay)
        except SlotTaken:
            continue
    return None


def slot_taken(env: ToolEnv, service: ServiceType, bays: list[str], start: datetime) -> Refused:
    alternatives = find_slots(
        env.catalog.shop,
        service,
        bays,
        start.date(),
        f"{start:%H:%M}",
        taken_reader(env),
        env.now,
        3,
    )
    lang = env.catalog.settings.language
    views = [SlotView.of(s.start, s.end, s.bay, lang) for s in alternatives]
    offer = f" The nearest free time is {views[0].spoken}." if views else ""
    return Refused(
        TakenWithAlternatives(
            error="slot_taken",
            alternatives=views,
            message=f"Sorry, that time has just been taken.{offer}",
        )
    )


# --- book ----------------------------------------------------------------------------------
class BookAppointmentArgs(Arguments):
    vehicle_id: str = Field(
        description="The caller's vehicle, from lookup_customer or register_customer."
    )
    service_type: str = Field(description="The service, e.g. 'oil change' or 'oil_change'.")
    start: CalendarDatetime = Field(
        description="Start time from check_availability (ISO; without an offset "
        "it is taken as the shop's local time)."
    )
    bay: str | None = Field(
        default=None, description="The bay from the chosen check_availability slot."
    )
    notes: str = Field(
        default="", max_length=500, description="Anything the technician should know."
    )
    customer_id: str | None = CUSTOMER_ID


class AppointmentResult(Result):
    appointment: AppointmentView
    message: str


BOOK_APPOINTMENT = (
    "Book an appointment for the caller's vehicle, after the caller has agreed to a time from "
    "check_availability. Returns the confirmed appointment (id, service, start/end, bay, vehicle, "
    "'spoken' time to read back). If the time was taken meanwhile, returns ok=false, "
    "error='slot_taken' and up to three 'alternatives' to offer instead. Other refusals "
    "(closed, outside hours, past, not your vehicle) come with a 'message' to say."
)


def book_appointment(args: BookAppointmentArgs, env: ToolEnv) -> AppointmentResult:
    customer_id = env.require_customer(args.customer_id)
    vehicle = env.file.vehicle(args.vehicle_id)
    if vehicle is None:
        raise Refused(
            Refusal(error="not_found", message="I can't find that vehicle on your account.")
        )
    service = service_or_refuse(env, args.service_type)
    start = env.local(args.start)
    end = check_start(env, service, start)
    # A quick answer from the file already read; the transaction below is what guarantees it.
    for other in env.file.appointments:
        if (
            other.active
            and other.vehicle_id == vehicle.vehicle_id
            and other.start < end
            and start < other.end
        ):
            raise Refused(_already_booked(vehicle, other.appointment_id))
    bays = capable_bays(service, env.catalog.bays)
    do_not_call = env.file.customer.do_not_call

    def attempt(bay: str) -> Appointment:
        appointment = Appointment(
            appointment_id=new_id("apt"),
            shop_id=env.catalog.shop.shop_id,
            customer_id=customer_id,
            vehicle_id=vehicle.vehicle_id,
            service_type=service.code,
            bay=bay,
            start=start,
            end=end,
            notes=args.notes,
            reminder_do_not_call=do_not_call,
        )
        env.crm.appointments.book(appointment)
        return appointment

    try:
        booked = claim_bay(env, bays, args.bay, start, end, attempt)
    except VehicleBusy as busy:
        raise Refused(_already_booked(vehicle, busy.appointment_id)) from busy
    if booked is None:
        raise slot_taken(env, service, bays, start)
    view = AppointmentView.of(booked, env.catalog, vehicle)
    return AppointmentResult(
        appointment=view,
        message=f"Booked: {view.service_name} for the {vehicle.label} on {view.spoken}.",
    )


# --- upcoming ------------------------------------------------------------------------------
class UpcomingArgs(Arguments):
    customer_id: str | None = CUSTOMER_ID


class UpcomingResult(Result):
    appointments: list[AppointmentView]


UPCOMING = (
    "List the caller's upcoming appointments (scheduled or confirmed, soonest first). Use it when "
    "the caller asks about, or wants to change, cancel or confirm, an existing appointment, to get "
    "its appointment_id. Returns each with service, vehicle, start/end and a 'spoken' time."
)


def get_upcoming_appointments(args: UpcomingArgs, env: ToolEnv) -> UpcomingResult:
    env.require_customer(args.customer_id)
    file = env.file
    upcoming = sorted(
        (a for a in file.appointments if a.active and a.end > env.now), key=lambda a: a.start
    )
    return UpcomingResult(
        appointments=[
            AppointmentView.of(a, env.catalog, file.vehicle(a.vehicle_id)) for a in upcoming
        ]
    )


# --- cancel / confirm ----------------------------------------------------------------------
class CancelArgs(Arguments):
    appointment_id: str = Field(description="From get_upcoming_appointments or lookup_customer.")
    reason: str = Field(
        default="", max_length=300, description="Why, in the caller's words, if given."
    )
    customer_id: str | None = CUSTOMER_ID


CANCEL = (
    "Cancel one of the caller's appointments after they have clearly asked to cancel it (confirm "
    "which one first). Frees the bay time. Returns the cancelled appointment; refuses with "
    "not_found if it is not the caller's, or not_allowed if it is already cancelled or completed."
)


def cancel_appointment(args: CancelArgs, env: ToolEnv) -> AppointmentResult:
    cancelled = _change(env, args, "cancel", lambda a: env.crm.appointments.cancel(a, args.reason))
    view = AppointmentView.of(cancelled, env.catalog, None)
    return AppointmentResult(
        appointment=view, message=f"Cancelled the {view.service_name} on {view.spoken}."
    )


class ConfirmArgs(Arguments):
    appointment_id: str = Field(description="The appointment the caller confirms they will attend.")
    customer_id: str | None = CUSTOMER_ID


CONFIRM = (
    "Mark one of the caller's appointments as confirmed, when the caller says they will come "
    "(typically on a reminder call). Returns the appointment with status 'confirmed'."
)


def confirm_appointment(args: ConfirmArgs, env: ToolEnv) -> AppointmentResult:
    confirmed = _change(
        env,
        args,
        "confirm",
        lambda a: env.crm.appointments.set_status(a, AppointmentStatus.CONFIRMED),
    )
    view = AppointmentView.of(confirmed, env.catalog, None)
    return AppointmentResult(appointment=view, message=f"Confirmed for {view.spoken}.")


# --- reschedule ----------------------------------------------------------------------------
class RescheduleArgs(Arguments):
    appointment_id: str = Field(description="The appointment to move.")
    new_start: CalendarDatetime = Field(
        description="New start from check_availability (ISO; without an "
        "offset it is the shop's local time)."
    )
    bay: str | None = Field(
        default=None, description="The bay from the chosen check_availability slot."
    )
    customer_id: str | None = CUSTOMER_ID


RESCHEDULE = (
    "Move one of the caller's appointments to a new time the caller agreed to (find it with "
    "check_availability for the same service). Atomic: either the new time is taken and the old "
    "one freed, or nothing changes. Returns the moved appointment, or slot_taken with alternatives."
)


def reschedule_appointment(args: RescheduleArgs, env: ToolEnv) -> AppointmentResult:
    customer_id = env.require_customer(args.customer_id)
    appointment = owned_appointment(env, customer_id, args.appointment_id)
    _require_active_future(env, appointment, "move")
    service = service_or_refuse(env, appointment.service_type)
    start = env.local(args.new_start)
    end = check_start(env, service, start)
    bays = capable_bays(service, env.catalog.bays)
    same_day = appointment.start.date() == start.date()
    own = (
        frozenset(
            (appointment.bay, t)
            for t in granules(appointment.start, appointment.end, env.catalog.shop.slot_minutes)
        )
        if same_day
        else frozenset()
    )

    def attempt(bay: str) -> Appointment:
        return env.crm.appointments.reschedule(appointment, start, end, bay)

    try:
        moved = claim_bay(env, bays, args.bay or appointment.bay, start, end, attempt, own)
    except StaleAppointment as error:
        raise Refused(_changed()) from error
    except VehicleBusy as busy:
        raise Refused(
            _already_booked(env.file.vehicle(appointment.vehicle_id), busy.appointment_id)
        ) from busy
    if moved is None:
        raise slot_taken(env, service, bays, start)
    view = AppointmentView.of(moved, env.catalog, None)
    return AppointmentResult(
        appointment=view, message=f"Moved the {view.service_name} to {view.spoken}."
    )


def _change(
    env: ToolEnv,
    args: CancelArgs | ConfirmArgs,
    verb: str,
    apply: Callable[[Appointment], Appointment],
) -> Appointment:
    """Apply a status change to one of the caller's active, future appointments.

    Ownership, activity and the optimistic-concurrency refusal are the same for every change,
    so each tool only says what the change is.
    """
    customer_id = env.require_customer(args.customer_id)
    appointment = owned_appointment(env, customer_id, args.appointment_id)
    _require_active_future(env, appointment, verb)
    try:
        return apply(appointment)
    except StaleAppointment as error:
        raise Refused(_changed()) from error


def _already_booked(vehicle: Vehicle | None, appointment_id: str) -> AlreadyBooked:
    what = f"Your {vehicle.label}" if vehicle else "That vehicle"
    return AlreadyBooked(
        error="already_booked",
        appointment_id=appointment_id,
        message=f"{what} is already booked in at that time.",
    )


def _changed() -> Refusal:
    return Refusal(
        error="conflict",
        message="That appointment was changed a moment ago. "
        "Let me look at your appointments again.",
    )
