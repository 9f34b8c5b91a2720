"""The shape every language pack has: a missing or extra key is a validation error.

A pack is TOML (`packs/<code>.toml`), easy to edit by someone who only knows the language.
`Pack` forbids unknown sections and keys, and requires every one, so a translation can never
lack a text the code asks for. Variables are checked against English, the reference pack:
a translation must use every `{variable}` the English template does (a confirmation text
without `{when}` would be useless), and may use only those, plus the extra values the code
offers for that key in `EXTRA_VALUES` (e.g. `{family_name}`, which Japanese addresses with 様).
"""

from __future__ import annotations

from string import Formatter
from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(_Section):
    name: str  # the language's own name ("日本語")
    english_name: str
    locale: str  # Babel's locale for dates, weekday names and prices
    say_language: str  # TwiML <Say language>; "" leaves Twilio's default (en-US)
    say_voice: str  # TwiML <Say voice>, a voice that speaks `say_language`; "" the default
    list_separator: str
    item_separator: str
    phone_group_separator: str
    phone_style: Literal["e164", "national"]


class Formats(_Section):
    date_time: str
    date_time_whole_hour: str
    day: str
    today: str
    time: str
    time_whole_hour: str
    clock: str
    price: str
    price_range: str


class Agent(_Section):
    base: str
    inbound_known: str
    open_known: str
    inbound_new: str
    open_new: str
    open_shop: str
    reminder: str
    resumed: str
    fallback: str
    ai_disclosure: str
    ai_words: str
    appointment: str
    appointment_with_id: str
    their_vehicle: str
    their_appointment: str
    hours_open: str
    hours_closed: str
    service_price: str
    none: str
    no_services: str
    no_address: str
    goodbye_end_call: str
    goodbye_silence: str
    goodbye_max_call_length: str
    nudge: str
    apology: str
    escalation_hint: str
    after_hours: str
    unanswered: str


class Calls(_Section):
    recording_notice: str
    fallback: str
    unavailable: str
    handoff: str
    reminder: str
    reminder_goodbye: str
    reminder_appointment: str
    reminder_any_appointment: str
    message_prompt: str
    message_thanks: str
    takeover: str


class Tools(_Section):
    time_passed: str
    closed_holiday: str
    closed_that_day: str
    outside_hours: str
    invalid_time: str
    unknown_service: str
    in_the_past: str
    too_far_ahead: str
    holiday: str
    closed_day: str
    options_found: str
    nothing_free: str
    sms_not_found: str
    sms_opted_out: str
    sms_not_active: str
    sms_sent: str
    status_scheduled: str
    status_confirmed: str
    status_cancelled: str
    status_completed: str
    status_no_show: str


class Sms(_Section):
    confirmation: str
    confirmation_vehicle: str
    confirmation_address: str
    reminder: str
    reminder_service: str
    reply_options: str
    call_us: str
    reply_help: str
    reply_call_back: str
    reply_failed: str
    reply_confirmed: str
    reply_cancelled: str
    verify_code: str
    advisor: str
    advisor_caller: str
    advisor_call_back: str
    advisor_when: str
    advisor_vehicle: str
    advisor_about: str
    advisor_recording: str
    advisor_ref: str
    urgency_routine: str
    urgency_soon: str
    urgency_urgent: str


class Pack(_Section):
    meta: Meta
    formats: Formats
    agent: Agent
    calls: Calls
    tools: Tools
    sms: Sms

    def templates(self) -> dict[str, str]:
        """Every text as `section.key` → template (the Babel patterns and meta excluded)."""
        return {
            f"{section}.{key}": value
            for section in ("agent", "calls", "tools", "sms")
            for key, value in getattr(self, section).model_dump().items()
        }


# Per template, values a translation may use or leave out: extras the code passes beyond those
# the English template uses (the family name Japanese addresses with 様), and parts a language
# drops on purpose (a Japanese confirmation leaves out vehicle and address to stay two segments).
EXTRA_VALUES: dict[str, frozenset[str]] = {
    "agent.open_known": frozenset({"first_name", "family_name"}),
    "sms.confirmation": frozenset({"family_name", "customer_name", "vehicle", "address"}),
}
# Texts that are not templates (a regular expression): their braces are not variables.
NOT_TEMPLATES = frozenset({"agent.ai_words"})


def variables(template: str) -> set[str]:
    """The `{names}` a template fills in."""
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def variable_problems(pack: Pack, english: Pack) -> list[str]:
    """What is wrong with `pack`'s variables against English's, one line per template."""
    problems = []
    reference = english.templates()
    for key, template in pack.templates().items():
        if key in NOT_TEMPLATES:
            continue
        extra = EXTRA_VALUES.get(key, frozenset())
        wanted = variables(reference[key])
        used = variables(template)
        missing = sorted(wanted - extra - used)
        unknown = sorted(used - wanted - extra)
        if missing:
            problems.append(f"{key}: lacks {', '.join('{' + m + '}' for m in missing)}")
        if unknown:
            problems.append(f"{key}: unknown {', '.join('{' + u + '}' for u in unknown)}")
    return problems
