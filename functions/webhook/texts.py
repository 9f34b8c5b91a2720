"""Texts from customers (`POST /sms`): consent keywords and replies to a reminder text.

Consent first: Twilio's standard keywords on a long code (opt-out STOP, STOPALL, UNSUBSCRIBE,
CANCEL, END, QUIT, REVOKE, OPTOUT; opt-in START, YES, UNSTOP; help HELP, INFO) are answered by
Twilio itself (its own confirmation or help text, and for an opt-out it blocks every later
text to that number). Twilio still forwards the message here, so we record the consent in the
CRM, which is what lets `send_sms_confirmation` refuse before Twilio is asked, and answer with
empty TwiML: a second reply would be one text too many, and after STOP it is not allowed.

A reminder that reached voicemail or nobody is followed by a text (`pitstop.reminders`) that
offers "1" (confirm), "2" (cancel) and "3" (call me). Those replies run the same tools the agent
runs, for the customer who owns the number; anything else gets a short help text. Every text in
and out is recorded on the appointment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from twilio.twiml.messaging_response import MessagingResponse

from pitstop.dal import Crm, ShopCatalog
from pitstop.i18n import text
from pitstop.i18n.formats import written_phone
from pitstop.models import Appointment, Message, TextDirection, TextExchange
from pitstop.observability import logger, mask_phone
from pitstop.reminders import REMINDER_TEXT_ACTION
from pitstop.telephony import Telephony
from pitstop.tools import ToolContext, run_tool
from pitstop.tools.take_message import record_message

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
# The reply digits a reminder text offers, and the tool each one runs (None: a call-back).
REPLIES = {"1": "confirm_appointment", "2": "cancel_appointment", "3": None}


@dataclass(frozen=True)
class Inbound:
    """The fields of Twilio's incoming-message request that we act on."""

    sid: str
    sender: str
    body: str

    @property
    def keyword(self) -> str:
        """The message as Twilio matches keywords: one word, case and spacing ignored."""
        return " ".join(self.body.split()).upper()


def empty() -> str:
    return str(MessagingResponse())


def reply(body: str) -> str:
    response = MessagingResponse()
    response.message(body)
    return str(response)


def answer_text(crm: Crm, telephony: Telephony, text: Inbound, now: datetime) -> str:
    """Act on one incoming text; the TwiML to answer Twilio with."""
    customer_id = crm.customers.id_for_phone(text.sender) if text.sender else None
    keyword = text.keyword
    if keyword in OPT_OUT | OPT_IN:
        if customer_id:
            crm.customers.set_sms_opt_in(customer_id, keyword in OPT_IN)
        logger.info(
            "sms consent",
            extra={
                "customer_number": mask_phone(text.sender),
                "opt_in": keyword in OPT_IN,
                "known": bool(customer_id),
            },
        )
        return empty()  # Twilio sends the standard confirmation itself
    if keyword in HELP:
        return empty()  # Twilio sends the standard help text itself
    catalog = crm.shops.catalog()
    appointment = _awaiting_reply(crm, customer_id, now) if customer_id else None
    if appointment is None:
        return reply(_text(catalog, "call_us"))
    _record(crm, appointment, TextDirection.INBOUND, text.body, now)
    action, answer = _act(crm, telephony, text, appointment, keyword, now)
    # Stamped when it goes out, always after the text it answers: the exchange reads in order.
    replied_at = max(datetime.now(UTC), now + timedelta(microseconds=1))
    _record(crm, appointment, TextDirection.OUTBOUND, answer, replied_at, action)
    logger.info(
        "reminder reply",
        extra={"appointment_id": appointment.appointment_id, "action": action or "help"},
    )
    return reply(answer)


def _awaiting_reply(crm: Crm, customer_id: str, now: datetime) -> Appointment | None:
    """The customer's soonest upcoming appointment that a reminder text asked about."""
    file = crm.customers.file(customer_id)
    for appointment in sorted(file.appointments, key=lambda a: a.start):
        if not appointment.active or appointment.start <= now:
            continue
        texts = crm.texts.for_appointment(customer_id, appointment.appointment_id)
        if any(t.action == REMINDER_TEXT_ACTION for t in texts):
            return appointment
    return None


def _act(
    crm: Crm,
    telephony: Telephony,
    text: Inbound,
    appointment: Appointment,
    keyword: str,
    now: datetime,
) -> tuple[str | None, str]:
    """Run what the reply asks for: (action taken or None, the text to answer with)."""
    catalog = crm.shops.catalog()
    if keyword not in REPLIES:
        return None, _text(catalog, "reply_help", options=_text(catalog, "reply_options"))
    tool = REPLIES[keyword]
    if tool is None:
        record_message(
            crm,
            telephony,
            Message(
                shop_id=crm.settings.shop_id,
                customer_id=appointment.customer_id,
                callback_number=text.sender,
                about=f"Replied to a reminder text asking to be called about appointment "
                f"{appointment.appointment_id}.",
                created_at=now,
            ),
        )
        return "call_back", _text(catalog, "reply_call_back")
    context = ToolContext(
        call_sid=f"SMS{text.sid}", customer_number=text.sender, customer_id=appointment.customer_id
    )
    arguments = {"appointment_id": appointment.appointment_id}
    if tool == "cancel_appointment":
        arguments["reason"] = "cancelled by text reply"
    result = run_tool(tool, arguments, context, crm, telephony, now)
    if not result["ok"]:
        return None, _text(catalog, "reply_failed", reason=result["message"])
    when = result["appointment"]["spoken"]
    if tool == "confirm_appointment":
        return "confirm", _text(catalog, "reply_confirmed", when=when)
    return "cancel", _text(catalog, "reply_cancelled", when=when)


def _text(catalog: ShopCatalog, key: str, **values: str) -> str:
    """An SMS reply (`sms.<key>` of the language packs) in the shop's language."""
    lang = catalog.settings.language
    shop = catalog.shop
    return text(
        lang,
        f"sms.{key}",
        shop_name=shop.name,
        shop_phone=written_phone(shop.phone, lang),
        **values,
    )


def _record(
    crm: Crm,
    appointment: Appointment,
    direction: TextDirection,
    body: str,
    now: datetime,
    action: str | None = None,
) -> None:
    crm.texts.add(
        TextExchange(
            appointment_id=appointment.appointment_id,
            customer_id=appointment.customer_id,
            direction=direction,
            body=body,
            at=now,
            action=action,
        )
    )
