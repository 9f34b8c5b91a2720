"""Text confirmations through the telephony port, only to customers who opted in.

The opt-in check lives here, next to the send, so no caller of the port can forget it: a
customer who texted STOP is refused before Twilio is asked. Twilio keeps its own opt-out list
too (a STOP texted before our webhook saw it); its refusal is recorded in the CRM and becomes
the same answer, never an error the caller hears as "the system is not available".
"""

from __future__ import annotations

from pydantic import Field

from pitstop.dal import ShopCatalog
from pitstop.i18n import text
from pitstop.i18n.formats import family_name, spoken_datetime, written_phone
from pitstop.models import Appointment, Customer, Vehicle
from pitstop.telephony import OptedOut
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result


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


def _opted_out(lang: str) -> SendSmsResult:
    return SendSmsResult(
        sent=False, reason="sms_opt_out", message=text(lang, "tools.sms_opted_out")
    )


def send_sms_confirmation(args: SendSmsArgs, env: ToolEnv) -> SendSmsResult:
    env.require_customer()
    file = env.file  # one Query: profile (opt-in), vehicles and appointments; ownership for free
    lang = env.catalog.settings.language
    appointment = next(
        (a for a in file.appointments if a.appointment_id == args.appointment_id), None
    )
    if appointment is None:
        raise Refused(Refusal(error="not_found", message=text(lang, "tools.sms_not_found")))
    customer = file.customer
    if not customer.sms_opt_in:
        return _opted_out(lang)
    if not appointment.active:
        return SendSmsResult(
            sent=False,
            reason="not_active",
            message=text(
                lang,
                "tools.sms_not_active",
                status=text(lang, f"tools.status_{appointment.status}"),
            ),
        )
    body = confirmation_sms(
        env.catalog, customer, appointment, file.vehicle(appointment.vehicle_id)
    )
    try:
        env.send_sms(customer.phone, body)
    except OptedOut:
        env.crm.customers.set_sms_opt_in(customer.customer_id, False)
        return _opted_out(lang)
    return SendSmsResult(sent=True, message=text(lang, "tools.sms_sent"))


def confirmation_sms(
    catalog: ShopCatalog, customer: Customer, appointment: Appointment, vehicle: Vehicle | None
) -> str:
    """The confirmation text in the shop's language (`sms.confirmation` and its parts)."""
    lang = catalog.settings.language
    shop = catalog.shop
    service = catalog.services.get(appointment.service_type)
    return text(
        lang,
        "sms.confirmation",
        shop_name=shop.name,
        service=service.name if service else appointment.service_type.replace("_", " "),
        vehicle=text(lang, "sms.confirmation_vehicle", vehicle=vehicle.label) if vehicle else "",
        when=spoken_datetime(appointment.start, lang),
        address=text(lang, "sms.confirmation_address", address=shop.address)
        if shop.address
        else "",
        appointment_id=appointment.appointment_id,
        shop_phone=written_phone(shop.phone, lang),
        customer_name=customer.name,
        family_name=family_name(customer.name),
    )
