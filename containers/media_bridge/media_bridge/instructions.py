"""What the agent is told for this call: one template per situation, filled per call.

The shop's facts and the agent settings are read from DynamoDB for every call (one Query for
the shop partition, one for the customer's), so a change to the persona, voice or extra
instructions applies to the next call without a deploy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from media_bridge.call_state import CallContext
from media_bridge.observability import logger
from pitstop.config import Settings
from pitstop.dal import Crm, CustomerFile
from pitstop.models import WEEKDAYS, AgentSettings, Appointment, Shop
from pitstop.templates import render_template

BASE = """\
You are {persona}, the AI assistant answering the phone for {shop_name}, a car service centre.
You are an AI assistant, not a person: say so in your greeting, and say so again if asked.
Speak {language_name}. Keep every reply short and natural for a phone call: one or two sentences,
one question at a time. Read dates and times the way people say them.
Only help with the shop's business: servicing and repairs, appointments, the customer's vehicles
and service history, opening hours, prices and directions. Politely decline anything else.
Never invent availability, prices or appointments: use the tools, and say what they return.
Before booking, moving or cancelling, repeat the details and get a clear yes.
If the caller asks for a person, is upset, or you cannot help, offer to connect them and use
request_operator_handoff. What the caller types on the keypad reaches you as one entry, e.g.
"[The caller entered 4 5 0 0 0 on the keypad]": read it as the answer to your last question.
When the conversation is finished, say a short goodbye and then call end_call.
If the caller asks not to be called again, use set_do_not_call.

Shop: {shop_name}. Address: {address}. Phone: {shop_phone}. Time zone: {timezone}.
Today is {today}.
Opening hours: {hours}.
Services (typical price range): {services}.
"""

INBOUND_KNOWN = """\
This is an inbound call from a known customer: {customer_name}.
Vehicles on file: {vehicles}.
Upcoming appointments: {appointments}.
{opening}
"""
OPEN_KNOWN = """\
Open the call: greet {first_name} by name, introduce yourself as {persona}, the AI assistant of
{shop_name}, and ask how you can help."""

INBOUND_NEW = """\
This is an inbound call from a number we do not know. The caller may be a new customer.
{opening} To book, first take their name and vehicle (make, model, year) and
register them with register_customer.
"""
OPEN_NEW = """\
Open the call: greet the caller, introduce yourself as {persona}, the AI assistant of {shop_name},
and ask how you can help."""

# The shop's own greeting (`AgentSettings.greeting`), filled in for this call.
OPEN_SHOP = 'Open the call with the shop\'s greeting, in these words: "{greeting}"'
# Words that tell the caller they are talking to an AI; a greeting without them gets one.
AI_DISCLOSURE = re.compile(r"\bA\.?I\b|artificial intelligence", re.IGNORECASE)

REMINDER = """\
This is an outbound reminder call that you placed to {customer_name} about their appointment:
{appointment}.
Open the call: say who you are ({persona}, the AI assistant of {shop_name}), that you are calling
about that appointment, and ask whether they can still make it. They can confirm it
(confirm_appointment), move it (check_availability then reschedule_appointment) or cancel it
(cancel_appointment). The appointment id is {appointment_id}. Keep the call brief.
"""

LANGUAGES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}

# A resumed stream is the same call coming back (an unanswered handoff): no second greeting.
RESUMED = "This call is already under way: do not greet the caller or introduce yourself again."
_REALTIME_ROLE = {"user": "user", "caller": "user", "assistant": "assistant", "agent": "assistant"}


@dataclass
class AgentBrief:
    """Everything the session needs from the CRM for one call."""

    instructions: str
    settings: AgentSettings = field(default_factory=AgentSettings)
    model: str = "gpt-realtime"
    shop_name: str = "the service centre"
    shop_phone: str | None = None
    shop: Shop | None = None  # opening hours and holidays decide a handoff (None: unknown)
    # A resumed stream: the conversation of its earlier stream, (Realtime role, text) in order.
    earlier: list[tuple[str, str]] = field(default_factory=list)


def _hours(shop: Shop) -> str:
    parts = []
    for day in WEEKDAYS:
        hours = shop.opening_hours.get(day)
        parts.append(
            f"{day.title()} {hours.opens:%H:%M}-{hours.closes:%H:%M}"
            if hours
            else f"{day.title()} closed"
        )
    return ", ".join(parts)


def _appointment_text(appointment: Appointment, vehicles: dict[str, str]) -> str:
    vehicle = vehicles.get(appointment.vehicle_id, "their vehicle")
    return (
        f"{appointment.service_type.replace('_', ' ')} for the {vehicle} on "
        f"{appointment.start:%A, %B %-d at %-I:%M %p}"
    )


def build_instructions(
    context: CallContext,
    shop: Shop,
    services: list,
    settings: AgentSettings,
    customer: CustomerFile | None,
    now: datetime,
) -> str:
    """The session instructions for this call's situation (pure: easy to test)."""
    facts = {
        "persona": settings.persona_name,
        "shop_name": shop.name,
        "address": shop.address or "n/a",
        "shop_phone": shop.phone,
        "timezone": shop.timezone,
        "today": f"{now.astimezone(ZoneInfo(shop.timezone)):%A, %B %-d, %Y}",
        "hours": _hours(shop),
        "services": "; ".join(f"{s.name} (${s.price_min:.0f}-${s.price_max:.0f})" for s in services)
        or "ask the shop",
        "language_name": LANGUAGES.get(settings.language, settings.language),
    }
    text = BASE.format(**facts)
    values: dict[str, str | None] = {
        "shop_name": shop.name,
        "shop_phone": shop.phone,
        "persona_name": settings.persona_name,
        "customer_first_name": customer.customer.name.split()[0] if customer else None,
    }
    vehicles = {v.vehicle_id: v.label for v in customer.vehicles} if customer else {}
    if context.direction == "reminder" and customer:
        appointment = next(
            (a for a in customer.appointments if a.appointment_id == context.appointment_id), None
        )
        text += REMINDER.format(
            **facts,
            customer_name=customer.customer.name,
            appointment_id=context.appointment_id,
            appointment=_appointment_text(appointment, vehicles)
            if appointment
            else "their upcoming appointment",
        )
    elif customer:
        upcoming = [a for a in customer.appointments if a.active and a.start >= now]
        first_name = customer.customer.name.split()[0]
        text += INBOUND_KNOWN.format(
            **facts,
            customer_name=customer.customer.name,
            opening=_opening(OPEN_KNOWN, facts, first_name, settings, values),
            vehicles=", ".join(vehicles.values()) or "none",
            appointments="; ".join(
                f"{_appointment_text(a, vehicles)} (id {a.appointment_id})"
                for a in sorted(upcoming, key=lambda a: a.start)
            )
            or "none",
        )
    else:
        text += INBOUND_NEW.format(opening=_opening(OPEN_NEW, facts, None, settings, values))
    if settings.extra_instructions:
        text += "\n" + render_template(settings.extra_instructions.strip(), values) + "\n"
    return text


def _opening(
    default: str,
    facts: dict[str, str],
    first_name: str | None,
    settings: AgentSettings,
    values: dict[str, str | None],
) -> str:
    """How the agent opens an inbound call: the default wording, or the shop's greeting."""
    greeting = spoken_greeting(settings, values)
    if greeting is None:
        return default.format(**facts, first_name=first_name)
    return OPEN_SHOP.format(greeting=greeting)


def spoken_greeting(settings: AgentSettings, values: dict[str, str | None]) -> str | None:
    """The shop's greeting filled in for this call (None: the default wording), always with the
    AI disclosure: if the shop's words lack it, the agent still says it is an AI assistant."""
    if not settings.greeting.strip():
        return None
    greeting = render_template(settings.greeting.strip(), values)
    if AI_DISCLOSURE.search(greeting):
        return greeting
    return f"{greeting} I'm {settings.persona_name}, an AI assistant."


def load_brief(crm: Crm, context: CallContext, settings: Settings, now: datetime) -> AgentBrief:
    """Read the shop and the customer (blocking: run it in a thread) and build the brief."""
    catalog = crm.shops.catalog()
    customer = None
    customer_id = context.customer_id
    if not customer_id and context.customer_number:
        customer_id = crm.customers.id_for_phone(context.customer_number)
        context.customer_id = customer_id
    if customer_id:
        try:
            customer = crm.customers.file(customer_id)
        except Exception:  # noqa: BLE001 - an unknown id means "treat as a new caller"
            logger.warning("customer on the call not found; treating as new caller")
    agent = catalog.settings
    earlier = _earlier_turns(crm, context) if context.resume_reason else []
    model = agent.model if "model" in agent.model_fields_set else settings.realtime_model
    return AgentBrief(
        instructions=build_instructions(
            context, catalog.shop, list(catalog.services.values()), agent, customer, now
        ),
        settings=agent,
        model=model,
        shop_name=catalog.shop.name,
        shop_phone=catalog.shop.phone,
        shop=catalog.shop,
        earlier=earlier,
    )


def _earlier_turns(crm: Crm, context: CallContext) -> list[tuple[str, str]]:
    """What was said on the call's earlier stream, as the model is told it again."""
    turns = crm.calls.transcript(context.call_sid)
    return [(_REALTIME_ROLE[t.role], t.text) for t in turns if t.role in _REALTIME_ROLE and t.text]


def fallback_brief(settings: Settings) -> AgentBrief:
    """When the CRM cannot be read: a minimal, honest agent that offers a person."""
    agent = AgentSettings()
    return AgentBrief(
        instructions=(
            f"You are {agent.persona_name}, an AI assistant answering the phone for a car "
            "service centre. Say you are an AI assistant. Our systems are briefly "
            "unavailable: apologise, and offer to connect the caller to a member of the "
            "team with request_operator_handoff."
        ),
        settings=agent,
        model=settings.realtime_model,
    )
