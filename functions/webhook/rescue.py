"""No dead ends: what a call does when its stream ends early, a handoff ends, or a message is left.

Every route here answers with somewhere good to go: a person (a `<Dial action>` to the shop's
handoff numbers, in order, inside opening hours), the agent again (a fresh stream, after nobody
picked up), or a message taker (a recording, when neither a person nor the agent can help).
Imported by the handler only after the signature check, as `flows` is.
"""

from __future__ import annotations

from datetime import datetime

from functions.webhook import flows
from functions.webhook.routing import Answer
from pitstop import handoff, twiml
from pitstop.dal import Crm, ShopCatalog
from pitstop.i18n import text
from pitstop.models import CallOutcome, CallRecord, Message, ResumeReason
from pitstop.observability import logger
from pitstop.stream_token import new_grant
from pitstop.telephony import Telephony
from pitstop.tools.take_message import record_message


def _public(crm: Crm, path: str) -> str:
    return crm.settings.public_url.rstrip("/") + path


def message_taker(crm: Crm, reason: str, lang: str) -> Answer:
    """Ask for a recorded message (no bridge needed), in the shop's language."""
    action = _public(crm, handoff.MESSAGE_RECORDED_PATH)
    prompt = text(lang, "calls.message_prompt")
    return Answer("message", twiml.record_message_twiml(prompt, action, lang=lang), reason)


def _person_or_message(
    crm: Crm, catalog: ShopCatalog, call_sid: str, now: datetime, reason: str
) -> Answer:
    """Inside opening hours ring the first handoff number; after them, take a message."""
    if not handoff.is_open(catalog.shop, now):
        return message_taker(crm, f"{reason}_after_hours", catalog.settings.language)
    number = handoff.targets(catalog.shop, catalog.settings)[0]
    return Answer(
        "fallback",
        handoff.dial_attempt_twiml(
            crm.settings.public_url,
            call_sid,
            number,
            0,
            catalog.settings.handoff_ring_seconds,
            text(catalog.settings.language, "calls.handoff"),
            lang=catalog.settings.language,
        ),
        reason,
    )


def stream_ended(crm: Crm, form: dict[str, str], now: datetime) -> Answer:
    """`<Connect action>`: the stream is over and the call still up. If the bridge ended it on
    purpose, let the call end; otherwise rescue the caller (a person, or a message taker)."""
    call_sid = form["CallSid"]
    record = crm.calls.get(call_sid)
    if record is not None and (record.ended_by_bridge or record.status.final):
        return Answer("goodbye", twiml.empty_twiml(), "ended_by_bridge")
    catalog = flows.read_catalog(crm)
    answer = _person_or_message(crm, catalog, call_sid, now, "stream_ended")
    if record is not None:
        fields = handoff.record_fields(crm.settings.console_url, call_sid, "stream_ended")
        crm.calls.set_fields(call_sid, {"outcome": CallOutcome.FALLBACK.value, **fields})
    return answer


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def dial_ended(
    crm: Crm, form: dict[str, str], query: dict[str, str], now: datetime, stream_key: str
) -> Answer:
    """`<Dial action>`: answered → on the record; unanswered → the next number, else the agent
    again ("nobody could pick up"), else (the agent cannot talk) a message taker."""
    call_sid, status = form["CallSid"], (form.get("DialCallStatus") or "").lower()
    attempt = _int(query.get("attempt")) or 0
    catalog = flows.read_catalog(crm)
    number = handoff.targets(catalog.shop, catalog.settings)[
        min(attempt, len(handoff.targets(catalog.shop, catalog.settings)) - 1)
    ]
    record = crm.calls.get(call_sid)
    if status in handoff.ANSWERED_DIAL_STATUSES:
        fields: dict[str, str | int] = {
            "outcome": CallOutcome.HANDED_OFF.value,
            "handoff_to": number,
            "handoff_status": status,
        }
        seconds = _int(form.get("DialCallDuration"))
        if seconds is not None:
            fields["handoff_seconds"] = seconds
        if record is not None:
            crm.calls.set_fields(call_sid, fields)
        return Answer("goodbye", twiml.empty_twiml(), "handoff_answered")
    if record is not None:
        crm.calls.set_fields(call_sid, {"handoff_status": status or "unknown"})
    following = handoff.next_target(catalog.shop, catalog.settings, attempt)
    if following:
        return Answer(
            "fallback",
            handoff.dial_attempt_twiml(
                crm.settings.public_url,
                call_sid,
                following,
                attempt + 1,
                catalog.settings.handoff_ring_seconds,
                None,
            ),
            f"handoff_{status}",
        )
    return _back_to_agent(crm, catalog, record, now, stream_key) or message_taker(
        crm, "handoff_unanswered", catalog.settings.language
    )


def _back_to_agent(
    crm: Crm, catalog: ShopCatalog, record: CallRecord | None, now: datetime, stream_key: str
) -> Answer | None:
    """A fresh stream to the agent, which now knows nobody could pick up; None when the agent
    cannot take it (switched off, fleet dead, call unknown or over)."""
    if record is None or not catalog.settings.agent_enabled or not flows.bridge_alive(crm, now):
        return None
    grant = new_grant(now=now.timestamp())
    renewed = crm.calls.regrant_stream(
        record.call_sid, grant.token_id, grant.expires, ResumeReason.HANDOFF_UNANSWERED.value
    )
    if renewed is None:
        return None
    crm.calls.set_fields(record.call_sid, {"outcome": CallOutcome.HANDOFF_UNANSWERED.value})
    parameters = flows.stream_parameters_for(renewed, stream_key)
    return Answer(
        "stream",
        twiml.stream_twiml(crm.settings.bridge_url, parameters, None, flows.stream_ended_url(crm)),
        "handoff_unanswered",
    )


def whisper(crm: Crm, query: dict[str, str]) -> Answer:
    """What staff hear on picking up a handoff, before the caller is connected."""
    catalog = flows.read_catalog(crm)
    record = crm.calls.get(query.get("call") or "")
    caller = handoff.Caller()
    if record is not None:
        caller = handoff.Caller(
            reason=record.handoff_reason or "", summary=handoff.summary_line(record.summary)
        )
        if record.customer_id:
            file = crm.customers.file(record.customer_id)
            vehicle = file.vehicles[0].label if file.vehicles else ""
            caller = handoff.Caller(file.customer.name, vehicle, caller.reason, caller.summary)
    text = handoff.whisper_text(catalog.shop.name, caller)
    return Answer("message", twiml.say_twiml(text), "whisper")


def message_recorded(crm: Crm, telephony: Telephony, form: dict[str, str], now: datetime) -> Answer:
    """`<Record action>`: store the recording as a message, text the advisor, say goodbye."""
    call_sid = form["CallSid"]
    record = crm.calls.get(call_sid)
    url = form.get("RecordingUrl") or None
    message = Message(
        shop_id=crm.settings.shop_id,
        call_sid=call_sid,
        customer_id=record.customer_id if record else None,
        callback_number=record.customer_number if record else "",
        about="recorded message" + (f" ({form.get('RecordingDuration')} s)" if url else ""),
        recording_url=url,
        created_at=now,
    )
    stored, notified = record_message(crm, telephony, message)
    logger.info(
        "recorded message stored",
        extra={"message_id": stored.message_id, "advisor_notified": notified},
    )
    lang = flows.read_catalog(crm).settings.language
    thanks = twiml.voicemail_twiml(text(lang, "calls.message_thanks"), lang=lang)
    return Answer("goodbye", thanks, "message_taken")
