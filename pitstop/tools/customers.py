"""Who is calling: lookup, registration, service history and the do-not-call flag.

A caller can only look up the number they are calling from; the phone argument exists because
models like to pass it, and it is checked against the call rather than trusted.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from pitstop.dal import NotFound, PhoneAlreadyRegistered
from pitstop.models import Customer, Vehicle, new_id
from pitstop.phone import InvalidPhoneNumber, normalize_e164
from pitstop.tools.context import NOT_IDENTIFIED, Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result
from pitstop.tools.views import AppointmentView, VehicleView
from pitstop.tools.vin import InvalidVin, decode

_ONLY_OWN_NUMBER = Refusal(
    error="not_allowed", message="For privacy I can only look up the number you're calling from."
)


def _own_number(env: ToolEnv, phone: str | None) -> None:
    """Refuse unless `phone` is empty or the caller's own number."""
    if not phone:
        return
    try:
        wanted = normalize_e164(phone)
    except InvalidPhoneNumber as error:
        raise Refused(_ONLY_OWN_NUMBER) from error
    if wanted != env.context.customer_number:
        raise Refused(_ONLY_OWN_NUMBER)


class AlreadyRegistered(Refusal):
    """The number is registered already; the customer it belongs to, when known."""

    error: str = "already_registered"
    message: str = "You're already in our system with this number."
    customer_id: str | None


class CustomerView(BaseModel):
    customer_id: str
    name: str
    phone: str
    sms_opt_in: bool


# --- lookup ----------------------------------------------------------------------------------
class LookupCustomerArgs(Arguments):
    phone: str | None = Field(
        default=None,
        description="Leave empty to use the number the caller is "
        "calling from (the only number you may look up).",
    )


class LookupCustomerResult(Result):
    found: bool
    customer: CustomerView | None = None
    vehicles: list[VehicleView] = Field(default_factory=list)
    next_appointment: AppointmentView | None = None


LOOKUP_CUSTOMER = (
    "Identify the caller from the number they are calling from. Call it at the start of an inbound "
    "call. Returns found=false for a first-time caller (then offer register_customer); otherwise "
    "the customer (name, SMS opt-in), their vehicles (vehicle_id, label such as '2019 Toyota "
    "Camry', VIN, mileage) and their next upcoming appointment, if any."
)


def lookup_customer(args: LookupCustomerArgs, env: ToolEnv) -> LookupCustomerResult:
    _own_number(env, args.phone)
    if not env.customer_id:
        if not env.context.customer_number:
            raise Refused(NOT_IDENTIFIED)
        return LookupCustomerResult(found=False)
    try:
        file = env.file
    except Refused:
        return LookupCustomerResult(found=False)
    upcoming = sorted(
        (a for a in file.appointments if a.active and a.end > env.now), key=lambda a: a.start
    )
    nxt = upcoming[0] if upcoming else None
    c = file.customer
    return LookupCustomerResult(
        found=True,
        customer=CustomerView(
            customer_id=c.customer_id, name=c.name, phone=c.phone, sms_opt_in=c.sms_opt_in
        ),
        vehicles=[VehicleView.of(v) for v in file.vehicles],
        next_appointment=AppointmentView.of(nxt, env.catalog, file.vehicle(nxt.vehicle_id))
        if nxt
        else None,
    )


# --- register --------------------------------------------------------------------------------
class NewVehicle(Arguments):
    make: str = Field(min_length=1, max_length=40)
    model: str = Field(min_length=1, max_length=40)
    year: int = Field(ge=1950, le=2100)
    vin: str | None = Field(
        default=None, description="Only if the caller has it; check it with decode_vin first."
    )
    mileage: int | None = Field(default=None, ge=0, le=2_000_000)


class RegisterCustomerArgs(Arguments):
    name: str = Field(min_length=1, max_length=100, description="The caller's full name.")
    phone: str | None = Field(
        default=None, description="Leave empty: the caller's own number is used."
    )
    email: str | None = Field(default=None, max_length=200)
    sms_opt_in: bool = Field(
        default=True, description="Whether the caller agrees to text confirmations."
    )
    vehicle: NewVehicle | None = Field(
        default=None, description="The caller's car, if they told you."
    )


class RegisterCustomerResult(Result):
    customer_id: str
    vehicle_id: str | None = None


REGISTER_CUSTOMER = (
    "Create a customer record for a first-time caller (lookup_customer said found=false), keyed "
    "by the number they are calling from, optionally with their vehicle. Ask for their name and "
    "car first. Returns the new customer_id and vehicle_id to use for booking."
)


def register_customer(args: RegisterCustomerArgs, env: ToolEnv) -> RegisterCustomerResult:
    _own_number(env, args.phone)
    phone = env.context.customer_number
    if not phone:
        raise Refused(
            Refusal(
                error="not_allowed",
                message="I can't see the number you're calling "
                "from, so I can't set up an account on this call.",
            )
        )
    if env.customer_id:
        raise Refused(AlreadyRegistered(customer_id=env.customer_id))
    customer = Customer(
        customer_id=new_id("cus"),
        name=args.name,
        phone=phone,
        email=args.email,
        sms_opt_in=args.sms_opt_in,
    )
    vehicles: list[Vehicle] = []
    if args.vehicle:
        vin = None
        if args.vehicle.vin:
            try:
                vin = decode(args.vehicle.vin).vin
            except InvalidVin as error:
                raise Refused(
                    Refusal(
                        error="invalid_vin",
                        message=f"That VIN doesn't check out: {error}. "
                        "Could you read it again, or we can skip it?",
                    )
                ) from error
        vehicles.append(
            Vehicle(
                vehicle_id=new_id("veh"),
                customer_id=customer.customer_id,
                vin=vin,
                make=args.vehicle.make,
                model=args.vehicle.model,
                year=args.vehicle.year,
                mileage=args.vehicle.mileage,
            )
        )
    try:
        env.crm.customers.create(customer, vehicles)
    except PhoneAlreadyRegistered as error:
        existing = env.crm.customers.id_for_phone(phone)
        raise Refused(AlreadyRegistered(customer_id=existing)) from error
    return RegisterCustomerResult(
        customer_id=customer.customer_id, vehicle_id=vehicles[0].vehicle_id if vehicles else None
    )


# --- history ---------------------------------------------------------------------------------
class ServiceHistoryArgs(Arguments):
    vehicle_id: str | None = Field(
        default=None, description="Limit to one of the caller's vehicles."
    )
    customer_id: str | None = Field(
        default=None, description="Leave empty: defaults to the caller."
    )


class ServiceRecordView(BaseModel):
    date: dt.date
    service_type: str
    description: str
    vehicle_id: str
    vehicle: str | None
    mileage: int | None
    cost: float | None


class ServiceHistoryResult(Result):
    records: list[ServiceRecordView]


SERVICE_HISTORY = (
    "The caller's past services, most recent first (date, service, vehicle, mileage, cost). Use "
    "it when the caller asks what was done last time, or when something is due (e.g. last oil "
    "change). Optionally for one vehicle_id."
)


def get_service_history(args: ServiceHistoryArgs, env: ToolEnv) -> ServiceHistoryResult:
    env.require_customer(args.customer_id)
    file = env.file
    if args.vehicle_id and file.vehicle(args.vehicle_id) is None:
        raise Refused(
            Refusal(error="not_found", message="I can't find that vehicle on your account.")
        )
    records = [r for r in file.history if not args.vehicle_id or r.vehicle_id == args.vehicle_id]
    records.sort(key=lambda r: r.day, reverse=True)
    views = []
    for r in records:
        vehicle = file.vehicle(r.vehicle_id)
        service = env.catalog.services.get(r.service_type)
        views.append(
            ServiceRecordView(
                date=r.day,
                service_type=service.name if service else r.service_type,
                description=r.description,
                vehicle_id=r.vehicle_id,
                vehicle=vehicle.label if vehicle else None,
                mileage=r.mileage,
                cost=r.cost,
            )
        )
    return ServiceHistoryResult(records=views)


# --- do not call -----------------------------------------------------------------------------
class DoNotCallArgs(Arguments):
    pass


class DoNotCallResult(Result):
    message: str


DO_NOT_CALL = (
    "Stop reminder calls to the caller, when they ask not to be called again. Returns ok; say "
    "that they won't receive reminder calls any more."
)


def set_do_not_call(args: DoNotCallArgs, env: ToolEnv) -> DoNotCallResult:
    customer_id = env.require_customer()
    try:
        env.crm.customers.set_do_not_call(customer_id, True)
    except NotFound as error:
        raise Refused(NOT_IDENTIFIED) from error
    return DoNotCallResult(message="You won't get reminder calls from us any more.")
