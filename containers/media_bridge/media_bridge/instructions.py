"""What the agent is told for this call: one template per situation, filled per call.

The templates are the `[agent]` texts of the shop's language pack (`pitstop/i18n/packs`), so a
Japanese shop's agent is instructed in Japanese, with its dates, prices and hours written the
Japanese way; the English pack is word for word what the offline engine parses.

The shop's facts and the agent settings are read from DynamoDB for every call (one Query for
the shop partition, one for the customer's), so a change to the persona, voice or extra
instructions applies to the next call without a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from media_bridge.call_state import CallContext
from media_bridge.observability import logger
from pitstop.config import Settings
from pitstop.dal import Crm, CustomerFile
from pitstop.i18n import DEFAULT_LANGUAGE, ai_words, text
from pitstop.i18n.formats import (
    clock,
    family_name,
    first_name,
    full_date,
    itemised,
    listed,
    price_range,
    spoken_datetime,
    weekday,
)
from pitstop.models import WEEKDAYS, AgentSettings, Appointment, Shop
from pitstop.templates import render_template

# A resumed stream is the same call coming back (an unanswered handoff): no second greeting.
# English; the call's own language is `AgentBrief.line("resumed")`.
RESUMED = text(DEFAULT_LANGUAGE, "agent.resumed")
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

    @property
    def language(self) -> str:
        return self.settings.language

    def line(self, key: str, **values: object) -> str:
        """One of the agent's texts (`agent.<key>`) in this call's language."""
        return text(self.language, f"agent.{key}", **values)


def _hours(shop: Shop, lang: str) -> str:
    parts = []
    for day in WEEKDAYS:
        hours = shop.opening_hours.get(day)
        name = weekday(day, lang)
        parts.append(
            text(
                lang,
                "agent.hours_open",
                day=name,
                opens=clock(hours.opens, lang),
                closes=clock(hours.closes, lang),
            )
            if hours
            else text(lang, "agent.hours_closed", day=name)
        )
    return listed(parts, lang)


def _appointment_text(
    appointment: Appointment, vehicles: dict[str, str], names: dict[str, str], lang: str
) -> str:
    """One appointment as the agent is told it; `names`: service code → the catalogue's name."""
    service = names.get(appointment.service_type) or appointment.service_type.replace("_", " ")
    return text(
        lang,
        "agent.appointment",
        service=service.lower(),
        vehicle=vehicles.get(appointment.vehicle_id) or text(lang, "agent.their_vehicle"),
        when=spoken_datetime(appointment.start, lang),
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
    lang = settings.language
    facts = {
        "persona": settings.persona_name,
        "shop_name": shop.name,
        "address": shop.address or text(lang, "agent.no_address"),
        "shop_phone": shop.phone,
        "timezone": shop.timezone,
        "today": full_date(now.astimezone(ZoneInfo(shop.timezone)).date(), lang),
        "hours": _hours(shop, lang),
        "services": itemised(
            [
                text(
                    lang,
                    "agent.service_price",
                    name=s.name,
                    prices=price_range(s.price_min, s.price_max, shop.currency, lang),
                )
                for s in services
            ],
            lang,
        )
        or text(lang, "agent.no_services"),
    }
    instructions = text(lang, "agent.base", **facts)
    values: dict[str, str | None] = {
        "shop_name": shop.name,
        "shop_phone": shop.phone,
        "persona_name": settings.persona_name,
        "customer_first_name": first_name(customer.customer.name) if customer else None,
    }
    vehicles = {v.vehicle_id: v.label for v in customer.vehicles} if customer else {}
    service_names = {s.code: s.name for s in services}
    if context.direction == "reminder" and customer:
        appointment = next(
            (a for a in customer.appointments if a.appointment_id == context.appointment_id), None
        )
        instructions += text(
            lang,
            "agent.reminder",
            **facts,
            customer_name=customer.customer.name,
            appointment_id=context.appointment_id,
            appointment=_appointment_text(appointment, vehicles, service_names, lang)
            if appointment
            else text(lang, "agent.their_appointment"),
        )
    elif customer:
        upcoming = [a for a in customer.appointments if a.active and a.start >= now]
        name = customer.customer.name
        names = {"first_name": first_name(name), "family_name": family_name(name)}
        instructions += text(
            lang,
            "agent.inbound_known",
            **facts,
            customer_name=name,
            opening=_opening("agent.open_known", facts, names, settings, values),
            vehicles=listed(list(vehicles.values()), lang) or text(lang, "agent.none"),
            appointments=itemised(
                [
                    text(
                        lang,
                        "agent.appointment_with_id",
                        appointment=_appointment_text(a, vehicles, service_names, lang),
                        appointment_id=a.appointment_id,
                    )
                    for a in sorted(upcoming, key=lambda a: a.start)
                ],
                lang,
            )
            or text(lang, "agent.none"),
        )
    else:
        opening = _opening("agent.open_new", facts, {}, settings, values)
        instructions += text(lang, "agent.inbound_new", opening=opening)
    if settings.extra_instructions:
        instructions += "\n" + render_template(settings.extra_instructions.strip(), values) + "\n"
    return instructions


def _opening(
    default: str,
    facts: dict[str, str],
    names: dict[str, str],
    settings: AgentSettings,
    values: dict[str, str | None],
) -> str:
    """How the agent opens an inbound call: the default wording, or the shop's greeting."""
    greeting = spoken_greeting(settings, values)
    if greeting is None:
        return text(settings.language, default, **facts, **names)
    return text(settings.language, "agent.open_shop", greeting=greeting)


def spoken_greeting(settings: AgentSettings, values: dict[str, str | None]) -> str | None:
    """The shop's greeting filled in for this call (None: the default wording), always with the
    AI disclosure: if the shop's words lack it, the agent still says it is an AI assistant."""
    if not settings.greeting.strip():
        return None
    greeting = render_template(settings.greeting.strip(), values)
    if ai_words(settings.language).search(greeting):
        return greeting
    return text(
        settings.language, "agent.ai_disclosure", greeting=greeting, persona=settings.persona_name
    )


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


def fallback_brief(settings: Settings, lang: str = DEFAULT_LANGUAGE) -> AgentBrief:
    """When the CRM cannot be read: a minimal, honest agent that offers a person (in `lang`,
    the language of the last shop read, if any; the shop's settings are what failed)."""
    agent = AgentSettings(language=lang)
    return AgentBrief(
        instructions=text(lang, "agent.fallback", persona=agent.persona_name),
        settings=agent,
        model=settings.realtime_model,
    )
