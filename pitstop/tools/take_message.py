"""Taking a message when nobody can help now: stored for the shop, texted to the advisor.

`record_message` is shared by the agent's `take_message` tool and the webhook's recorded
message taker (a call the bridge could not carry), so both land in one list the shop works
through (`pitstop messages list|handle`).
"""

from __future__ import annotations

from pydantic import Field

from pitstop.after_call import count_sms
from pitstop.dal import Crm
from pitstop.handoff import summary_line
from pitstop.i18n import DEFAULT_LANGUAGE, text
from pitstop.i18n.formats import itemised
from pitstop.models import CallOutcome, Message, MessageUrgency
from pitstop.observability import logger, mask_phone
from pitstop.phone import InvalidPhoneNumber, normalize_e164
from pitstop.telephony import Telephony
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result

TAKE_MESSAGE = (
    "Take a message for the shop to call the caller back. Use it whenever you cannot help "
    "right now: after hours, when nobody picked up a transfer, when a tool keeps failing. Ask "
    "for their name, what it is about and when suits them; the callback number defaults to the "
    "number they are calling from. The service advisor is texted at once."
)


class TakeMessageArgs(Arguments):
    caller_name: str = Field(min_length=1, max_length=100, description="The caller's name.")
    about: str = Field(min_length=1, max_length=500, description="What the message is about.")
    callback_number: str | None = Field(
        default=None, description="Where to call back, if not the number they are calling from."
    )
    vehicle: str = Field(default="", max_length=100, description="The vehicle, if mentioned.")
    callback_when: str = Field(
        default="", max_length=100, description="When suits them, e.g. 'tomorrow morning'."
    )
    urgency: MessageUrgency = MessageUrgency.ROUTINE


class TakeMessageResult(Result):
    message_id: str
    advisor_notified: bool
    message: str


def advisor_sms(shop_name: str, message: Message, lang: str = DEFAULT_LANGUAGE) -> str:
    """The advisor's text: everything needed to call back without opening the console, in the
    shop's language (`sms.advisor*` of the language packs)."""

    def part(key: str, **values: object) -> str:
        return text(lang, f"sms.advisor{key}", **values)

    urgency = text(lang, f"sms.urgency_{message.urgency.value}")
    caller = message.caller_name or part("_caller")
    parts = [part("", shop_name=shop_name, urgency=urgency, caller=caller)]
    if message.callback_number:
        parts.append(part("_call_back", number=message.callback_number))
    if message.callback_when:
        parts.append(part("_when", when=message.callback_when))
    if message.vehicle:
        parts.append(part("_vehicle", vehicle=message.vehicle))
    parts.append(part("_about", about=message.about))
    if message.recording_url:
        parts.append(part("_recording", url=message.recording_url))
    return itemised(parts, lang) + part("_ref", message_id=message.message_id)


def record_message(crm: Crm, telephony: Telephony, message: Message) -> tuple[Message, bool]:
    """Store the message, mark the call's outcome, text the advisor; (stored, advisor texted)."""
    catalog = crm.shops.catalog()
    stored = crm.messages.add(message)
    call = crm.calls.get(stored.call_sid) if stored.call_sid else None
    if call is not None:
        crm.calls.set_fields(
            call.call_sid,
            {"outcome": CallOutcome.MESSAGE_TAKEN.value, "message_id": stored.message_id},
        )
    advisor = catalog.settings.advisor_number
    if not advisor:
        return stored, False
    body = advisor_sms(catalog.shop.name, stored, catalog.settings.language)
    if call is not None and call.summary is not None:  # after the call only (see README)
        body += " " + summary_line(call.summary)
    try:
        telephony.send_sms(advisor, body)
    except Exception:  # the message is stored: a failed text must not lose the caller's words
        logger.exception("advisor SMS failed", extra={"advisor_number": mask_phone(advisor)})
        return stored, False
    if call is not None:
        count_sms(crm, call.call_sid, body)
    return stored, True


def take_message(args: TakeMessageArgs, env: ToolEnv) -> TakeMessageResult:
    number = args.callback_number or env.context.customer_number or ""
    try:
        number = normalize_e164(number) if number else ""
    except InvalidPhoneNumber as error:
        raise Refused(
            Refusal(error="invalid_phone", message="Sorry, could you repeat that number?")
        ) from error
    message = Message(
        shop_id=env.crm.settings.shop_id,
        call_sid=env.context.call_sid or None,
        customer_id=env.customer_id,
        caller_name=args.caller_name,
        callback_number=number,
        vehicle=args.vehicle,
        about=args.about,
        callback_when=args.callback_when,
        urgency=args.urgency,
        created_at=env.now_utc,
    )
    stored, notified = record_message(env.crm, env.telephony, message)
    return TakeMessageResult(
        message_id=stored.message_id,
        advisor_notified=notified,
        message="I've taken your message; someone will call you back.",
    )
