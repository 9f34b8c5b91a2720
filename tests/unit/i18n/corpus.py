"""Every text Pitstop produces, rendered in one language from fixed data: what the goldens hold.

Each entry is made by the code that makes it on a call (the instructions builder, the webhook's
routing, the TwiML builders, the SMS builders) where that code is pure; the tools' phrasings and
the SMS replies are the pack's templates filled with the values those tools pass, formatted by
`pitstop.i18n.formats`. The shops are the demo shops: English (New York, dollars), Tokyo (yen,
+81) and a Madrid one for Spanish (euros, +34).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from functions.webhook import routing
from media_bridge.call_state import CallContext
from media_bridge.instructions import build_instructions, fallback_brief
from pitstop import twiml
from pitstop.config import Settings
from pitstop.dal import CustomerFile, ShopCatalog
from pitstop.i18n import pack, text
from pitstop.i18n.formats import (
    clock,
    full_date,
    listed,
    price_range,
    spoken_datetime,
    spoken_day,
    spoken_phone,
    spoken_time,
    weekday,
    written_phone,
)
from pitstop.models import (
    AgentSettings,
    Appointment,
    CallDirection,
    Customer,
    Message,
    MessageUrgency,
    Shop,
    Vehicle,
)
from pitstop.seed import BAYS, SERVICES, build_shop, tokyo
from pitstop.sms_encoding import SmsSegments, sms_segments
from pitstop.tools.messaging import confirmation_sms
from pitstop.tools.take_message import advisor_sms

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
START = datetime(2026, 12, 2, 8, 0)  # a Wednesday, 8 AM (the example of issue 18)
HALF_PAST = datetime(2026, 12, 5, 13, 30)  # a Saturday afternoon (sábado: UCS-2 in Spanish)


def _customer(lang: str) -> tuple[Customer, Vehicle]:
    name, phone, make, model = {
        "ja": ("山田 太郎", "+819055550001", "トヨタ", "プリウス"),
        "es": ("Lucía Fernández", "+34600111222", "Seat", "Ibiza"),
    }.get(lang, ("Alex Morgan", "+15551230001", "Toyota", "Camry"))
    customer = Customer(customer_id="cus_1", name=name, phone=phone)
    vehicle = Vehicle(vehicle_id="veh_1", customer_id="cus_1", make=make, model=model, year=2020)
    return customer, vehicle


SPANISH_NAMES = {
    "oil_change": "Cambio de aceite",
    "tire_rotation": "Rotación de neumáticos",
    "state_inspection": "ITV",
    "battery_replacement": "Cambio de batería",
    "brake_service": "Frenos",
    "wheel_alignment": "Alineación",
    "ac_service": "Aire acondicionado",
    "diagnostic": "Diagnóstico",
}


def catalog(lang: str) -> ShopCatalog:
    """The demo shop of the language, its agent speaking it."""
    if lang == "ja":
        shop, services, bays = tokyo.build_shop("tokyo", TODAY), tokyo.SERVICES, tokyo.BAYS
    else:
        shop, services, bays = build_shop("demo", TODAY), SERVICES, BAYS
    if lang == "es":
        shop = shop.model_copy(
            update={
                "name": "Taller Pitstop Madrid",
                "timezone": "Europe/Madrid",
                "currency": "EUR",
                "phone": "+34911234567",
                "address": "Calle Mayor 12, Madrid",
            }
        )
        services = [s.model_copy(update={"name": SPANISH_NAMES[s.code]}) for s in services]
    return ShopCatalog(
        shop=shop,
        services={s.code: s for s in services},
        bays={b.bay: b for b in bays},
        settings=AgentSettings(language=lang, recording_enabled=True),
    )


def _appointment(lang: str, start: datetime = START) -> Appointment:
    """An oil change at `start`, the shop's local time."""
    start = start.replace(tzinfo=ZoneInfo(catalog(lang).shop.timezone))
    return Appointment(
        appointment_id="apt_12345678",
        shop_id="demo",
        customer_id="cus_1",
        vehicle_id="veh_1",
        service_type="oil_change",
        bay="bay1",
        start=start,
        end=start.replace(minute=30),
    )


def _context(direction: str) -> CallContext:
    return CallContext(
        "CA1", "MZ1", CallDirection(direction), "+15551230001", "cus_1", "demo", "apt_12345678"
    )


def instructions(lang: str) -> dict[str, str]:
    shop = catalog(lang)
    customer, vehicle = _customer(lang)
    file = CustomerFile(
        customer=customer, vehicles=[vehicle], appointments=[_appointment(lang, HALF_PAST)]
    )
    services = list(shop.services.values())
    settings = shop.settings
    greeting = settings.model_copy(update={"greeting": "{shop_name}, {persona_name}."})
    build = build_instructions
    return {
        "instructions.inbound_known": build(
            _context("inbound"), shop.shop, services, settings, file, NOW
        ),
        "instructions.inbound_known_shop_greeting": build(
            _context("inbound"), shop.shop, services, greeting, file, NOW
        ),
        "instructions.inbound_new": build(
            _context("inbound"), shop.shop, services, settings, None, NOW
        ),
        "instructions.reminder": build(
            _context("reminder"), shop.shop, services, settings, file, NOW
        ),
        "instructions.fallback": fallback_brief(Settings(), lang).instructions,
        **{
            f"agent.{key}": text(lang, f"agent.{key}", word="manager")
            for key in (
                "resumed",
                "goodbye_end_call",
                "goodbye_silence",
                "goodbye_max_call_length",
                "nudge",
                "apology",
                "escalation_hint",
                "after_hours",
                "unanswered",
            )
        },
    }


def calls(lang: str) -> dict[str, str]:
    shop = catalog(lang)
    name, phone = shop.shop.name, shop.shop.phone
    notice = shop.settings.spoken_recording_notice()
    spoken = text(
        lang,
        "calls.reminder_appointment",
        service=shop.services["oil_change"].name.lower(),
        when=spoken_datetime(START, lang),
    )
    reminder = routing.reminder_answer(
        shop_name=name,
        shop_phone=phone,
        machine=True,
        appointment_found=True,
        spoken_appointment=spoken,
        agent_enabled=True,
        bridge_available=True,
        bridge_url="wss://bridge/media-stream",
        parameters={},
        notice=notice,
        lang=lang,
    )
    moot = routing.reminder_answer(
        shop_name=name,
        shop_phone=phone,
        machine=False,
        appointment_found=False,
        spoken_appointment="",
        agent_enabled=True,
        bridge_available=True,
        bridge_url="wss://bridge/media-stream",
        parameters={},
        notice=notice,
        lang=lang,
    )
    return {
        "twiml.stream_with_recording_notice": twiml.stream_twiml(
            "wss://bridge/media-stream", {"direction": "inbound"}, notice, lang=lang
        ),
        "twiml.fallback": routing.fallback_answer(name, phone, "bridge_unavailable", lang).twiml,
        "twiml.unavailable": routing.fallback_answer(None, None, "table_down", lang).twiml,
        "twiml.handoff": twiml.handoff_twiml(phone, lang=lang),
        "twiml.takeover": twiml.handoff_twiml(phone, text(lang, "calls.takeover"), lang=lang),
        "twiml.message_prompt": twiml.record_message_twiml(
            text(lang, "calls.message_prompt"), "/voice/message-recorded", lang=lang
        ),
        "twiml.message_thanks": twiml.voicemail_twiml(
            text(lang, "calls.message_thanks"), lang=lang
        ),
        "twiml.reminder_voicemail": reminder.twiml,
        "twiml.reminder_goodbye": moot.twiml,
        "twiml.reminder_any_appointment": text(
            lang, "calls.reminder_any_appointment", when=spoken_datetime(START, lang)
        ),
    }


def tools(lang: str) -> dict[str, str]:
    shop = catalog(lang)
    oil = shop.services["oil_change"]
    values = {
        "today": spoken_day(TODAY, lang),
        "day": spoken_day(HALF_PAST.date(), lang),
        "opens": spoken_time(time(9), lang),
        "closes": spoken_time(time(17, 30), lang),
        "service": oil.name.lower(),
        "minutes": oil.duration_minutes,
        "services": listed([s.name for s in shop.services.values()], lang),
        "days": 120,
        "count": 3,
        "when": spoken_datetime(START, lang),
        "status": text(lang, "tools.status_cancelled"),
    }
    return {
        f"tools.{key}": text(lang, f"tools.{key}", **values)
        for key in pack(lang).tools.model_dump()
    }


def sms(lang: str) -> dict[str, str]:
    shop = catalog(lang)
    customer, vehicle = _customer(lang)
    name, phone = shop.shop.name, written_phone(shop.shop.phone, lang)
    oil = shop.services["oil_change"].name.lower()
    options = text(lang, "sms.reply_options")
    message = Message(
        message_id="msg_20261201",
        shop_id="demo",
        caller_name=customer.name,
        callback_number=customer.phone,
        vehicle=vehicle.label,
        about="Brake noise",
        callback_when="tomorrow morning",
        urgency=MessageUrgency.SOON,
        created_at=NOW,
    )

    def reply(key: str, **values: str) -> str:
        return text(lang, f"sms.{key}", shop_name=name, shop_phone=phone, **values)

    when = spoken_datetime(START, lang)
    return {
        "sms.confirmation": confirmation_sms(shop, customer, _appointment(lang), vehicle),
        "sms.confirmation_saturday": confirmation_sms(
            shop, customer, _appointment(lang, HALF_PAST), vehicle
        ),
        "sms.confirmation_no_vehicle": confirmation_sms(shop, customer, _appointment(lang), None),
        "sms.reminder": reply("reminder", service=oil, when=when, options=options),
        "sms.reminder_no_service": reply(
            "reminder", service=text(lang, "sms.reminder_service"), when=when, options=options
        ),
        "sms.call_us": reply("call_us"),
        "sms.reply_help": reply("reply_help", options=options),
        "sms.reply_call_back": reply("reply_call_back"),
        "sms.reply_failed": reply("reply_failed", reason=text(lang, "tools.sms_not_found")),
        "sms.reply_confirmed": reply("reply_confirmed", when=when),
        "sms.reply_cancelled": reply("reply_cancelled", when=when),
        "sms.verify_code": text(lang, "sms.verify_code", shop_name=name, code="042917", minutes=10),
        "sms.advisor": advisor_sms(name, message, lang),
    }


def confirmation_sms_for(lang: str, shop: ShopCatalog, profile: Shop | None = None) -> SmsSegments:
    """The cost of the demo confirmation text, at `shop` (with another profile, if given)."""
    if profile is not None:
        shop = replace(shop, shop=profile)
    customer, vehicle = _customer(lang)
    return sms_segments(confirmation_sms(shop, customer, _appointment(lang), vehicle))


def formats(lang: str) -> dict[str, str]:
    moments = [START, HALF_PAST, datetime(2027, 1, 15, 0, 30), datetime(2027, 1, 15, 12, 0)]
    return {
        "formats.datetimes": "\n".join(spoken_datetime(m, lang) for m in moments),
        "formats.days": "\n".join([spoken_day(START.date(), lang), full_date(TODAY, lang)]),
        "formats.times": "\n".join(
            spoken_time(t, lang) for t in (time(8), time(17, 30), time(12), time(0, 15))
        ),
        "formats.clock_and_weekdays": clock(time(8), lang)
        + " "
        + " ".join(weekday(d, lang) for d in ("mon", "wed", "sat", "sun")),
        "formats.prices": "\n".join(
            [
                price_range(49, 89, "USD", lang),
                price_range(3300, 6600, "JPY", lang),
                price_range(45, 1250, "EUR", lang),
            ]
        ),
        "formats.phones": "\n".join(
            f"{written_phone(n, lang)} | {spoken_phone(n, lang)}"
            for n in ("+15551239000", "+81355550100", "+819055550001", "+34911234567")
        ),
    }


def corpus(lang: str) -> dict[str, str]:
    """Every produced text of `lang`, by a stable key."""
    return {**instructions(lang), **calls(lang), **tools(lang), **sms(lang), **formats(lang)}


def golden(lang: str) -> str:
    """The golden file's text: each entry under its key; an SMS with its encoding and segments."""
    blocks = []
    for key, value in corpus(lang).items():
        header = f"== {key}"
        if key.startswith("sms."):
            cost = sms_segments(value)
            header += f" [{cost.encoding}, {cost.units} units, {cost.segments} segment(s)]"
        blocks.append(f"{header}\n{value.rstrip()}\n")
    return "\n".join(blocks)
