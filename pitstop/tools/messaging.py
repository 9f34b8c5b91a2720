"""Text confirmations through the telephony port, only to customers who opted in.

The opt-in check lives here, next to the send, so no caller of the port can forget it: a
customer who texted STOP is refused before Twilio is asked. Twilio keeps its own opt-out list
too (a STOP texted before our webhook saw it); its refusal is recorded in the CRM and becomes
the same answer, never an error the caller hears as "the system is not available".
"""

from __future__ import annotations

from pydantic import Field

from pitstop.telephony import OptedOut
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result
from pitstop.tools.views import spoken


class SendSmsArgs(Arguments):
    appointment_id: str = Field(description="The appointment to text the details of.")


class SendSmsResult(Result):
    sent: bool
    reason: str | None = None
    message: str


SEND_SMS = (
    "Text the caller a confirmation of one of their appointments (service, vehicle, time, shop "
    "address). Offer it after booking or rescheduling. Returns sent=true, or sent=false with a "
    "reason (e.g. 'sms_opt_out' when the customer has opted out of texts: do not insist)."
)

OPTED_OUT = SendSmsResult(
    sent=False, reason="sms_opt_out", message="not sent: the customer has opted out of texts"
)


def send_sms_confirmation(args: SendSmsArgs, env: ToolEnv) -> SendSmsResult:
    env.require_customer()
    file = env.file  # one Query: profile (opt-in), vehicles and appointments; ownership for free
    appointment = next(
        (a for a in file.appointments if a.appointment_id == args.appointment_id), None
    )
    if appointment is None:
        raise Refused(
            Refusal(error="not_found", message="I can't find that appointment on your account.")
        )
    customer = file.customer
    if not customer.sms_opt_in:
        return OPTED_OUT
    if not appointment.active:
        return SendSmsResult(
            sent=False,
            reason="not_active",
            message=f"That appointment is {appointment.status}, so there's nothing to confirm.",
        )
    shop = env.catalog.shop
    service = env.catalog.services.get(appointment.service_type)
    vehicle = file.vehicle(appointment.vehicle_id)
    what = service.name if service else appointment.service_type.replace("_", " ")
    body = (
        f"{shop.name}: your {what}"
        + (f" for the {vehicle.label}" if vehicle else "")
        + f" is booked for {spoken(appointment.start)}."
        + (f" {shop.address}." if shop.address else "")
        + f" Ref {appointment.appointment_id}. To change it, call {shop.phone}."
        + " Reply STOP to opt out."
    )
    try:
        env.telephony.send_sms(customer.phone, body)
    except OptedOut:
        env.crm.customers.set_sms_opt_in(customer.customer_id, False)
        return OPTED_OUT
    return SendSmsResult(sent=True, message="I've texted you the details.")
