"""What each verified webhook does against the CRM: read what the decision needs, record the call.

Imported by the handler only once a request has passed its signature check, so a forged request
or a health check never loads boto3. The decisions themselves live in `routing`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from functions.webhook import routing
from functions.webhook.routing import Answer
from pitstop import handoff, reminders
from pitstop.dal import CallSetup, Crm, NotFound, ShopCatalog
from pitstop.i18n import DEFAULT_LANGUAGE, text
from pitstop.i18n.formats import spoken_datetime
from pitstop.models import Appointment, CallDirection, CallOutcome, CallRecord, CallStatus
from pitstop.observability import logger
from pitstop.stream_token import StreamGrant, issue_token, new_grant
from pitstop.telephony import telephony_for

# The last shop read per (table, shop): what a fallback can still say and dial when the table
# is failing (stale-if-error; the live path always reads afresh, so settings apply at once).
# A catalogue or a call set-up: both carry the shop and its agent settings.
_last_catalog: dict[tuple[str, str], ShopCatalog | CallSetup] = {}


def _remember(crm: Crm, read: ShopCatalog | CallSetup) -> None:
    _last_catalog[(crm.settings.table_name, crm.settings.shop_id)] = read


def read_catalog(crm: Crm) -> ShopCatalog:
    catalog = crm.shops.catalog()
    _remember(crm, catalog)
    return catalog


def last_known_catalog(crm: Crm) -> ShopCatalog | CallSetup | None:
    return _last_catalog.get((crm.settings.table_name, crm.settings.shop_id))


def bridge_alive(crm: Crm, now: datetime) -> bool:
    """Can the bridge fleet take a call? Its heartbeat says (one GetItem; see `_streamable`)."""
    return _streamable(crm.heartbeats.alive(now))


def _streamable(alive: bool | None) -> bool:
    """A fleet that has never beaten (not yet wired to) counts as alive: the `<Connect action>`
    still rescues the call if nothing picks the stream up. A fleet whose latest beat is stale
    is dead, and new callers go straight to the fallback."""
    if alive is None:
        logger.warning("no bridge heartbeat has ever been recorded; streaming anyway")
    return alive is not False


def stream_ended_url(crm: Crm) -> str:
    """The `<Connect action>`: the signed route that rescues a stream that ended too early."""
    return crm.settings.public_url.rstrip("/") + handoff.STREAM_ENDED_PATH


def answer_inbound(crm: Crm, form: dict[str, str], now: datetime, stream_key: str) -> Answer:
    """Look the caller up, read the shop, record the call, and connect it (or fall back).

    One read (`CallSetupReader`: shop, settings, heartbeat and caller in one BatchGetItem) and
    one write (`open_stream`)."""
    caller = routing.caller_number(form.get("From"))
    setup = crm.call_setup.read(caller, now)
    _remember(crm, setup)
    customer_id = setup.customer_id
    bridge_available = _streamable(setup.bridge_alive)

    def answer_for(record: CallRecord) -> Answer:
        return routing.inbound_answer(
            shop_name=setup.shop.name,
            shop_phone=setup.shop.phone,
            agent_enabled=setup.settings.agent_enabled,
            bridge_available=bridge_available,
            bridge_url=crm.settings.bridge_url,
            notice=setup.settings.spoken_recording_notice(),
            parameters=stream_parameters_for(record, stream_key),
            stream_ended_url=stream_ended_url(crm),
            lang=setup.settings.language,
        )

    record = CallRecord(
        call_sid=form["CallSid"],
        direction=CallDirection.INBOUND,
        customer_number=caller,
        customer_id=customer_id,
        shop_id=crm.settings.shop_id,
        status=_call_status(form) or CallStatus.RINGING,
        started_at=now,
    )
    return _answer_once(crm, record, now, answer_for)


def answer_reminder(
    crm: Crm, form: dict[str, str], query: dict[str, str], now: datetime, stream_key: str
) -> Answer:
    """The reminder call connected: voicemail for a machine, the agent for a person."""
    call_sid = form["CallSid"]
    customer_id, appointment_id = query.get("customer_id") or "", query.get("appointment_id") or ""
    answered_by = form.get("AnsweredBy") or None
    machine = reminders.is_machine(answered_by)
    catalog = read_catalog(crm)
    appointment = _appointment(crm, customer_id, appointment_id)
    if appointment and not (appointment.active and appointment.shop_id == catalog.shop.shop_id):
        appointment = None  # cancelled, done, or another shop's: nothing to remind of

    def answer_for(record: CallRecord) -> Answer:
        return routing.reminder_answer(
            shop_name=catalog.shop.name,
            shop_phone=catalog.shop.phone,
            machine=machine,
            appointment_found=appointment is not None,
            spoken_appointment=_spoken_appointment(catalog, appointment) if appointment else "",
            agent_enabled=catalog.settings.agent_enabled,
            bridge_available=bridge_alive(crm, now),
            bridge_url=crm.settings.bridge_url,
            notice=catalog.settings.spoken_recording_notice(),
            parameters=stream_parameters_for(record, stream_key),
            stream_ended_url=stream_ended_url(crm),
            lang=catalog.settings.language,
        )

    # The reminders Lambda created the record when it dialled; `open_stream` then only adds the
    # stream grant (and what is missing), so the status update below never leaves a bare item.
    record = CallRecord(
        call_sid=call_sid,
        direction=CallDirection.REMINDER,
        customer_number=routing.caller_number(form.get("To")),  # outbound: the called party
        customer_id=customer_id or None,
        appointment_id=appointment_id or None,
        shop_id=crm.settings.shop_id,
        status=CallStatus.IN_PROGRESS,
        started_at=now,
    )
    answer = _answer_once(crm, record, now, answer_for)
    crm.calls.update_status(
        call_sid, CallStatus.IN_PROGRESS, {"answered_by": answered_by} if answered_by else {}
    )
    if answer.kind == "voicemail":
        reminders.record_voicemail(
            crm,
            customer_id,
            appointment_id,
            call_sid=call_sid,
            now=now,
            telephony=telephony_for(crm.settings),
        )
    return answer


def _answer_once(
    crm: Crm, record: CallRecord, now: datetime, answer_for: Callable[[CallRecord], Answer]
) -> Answer:
    """Answer a call and record it with a fresh stream grant, once.

    A replayed webhook for a call already answered (Twilio's signature on a request seen
    before) gets the first answer again, built from the stored record: the same token, no
    fresh one, and no second record.
    """
    grant = new_grant(now=now.timestamp())
    fresh = record.model_copy(
        update={"stream_token_id": grant.token_id, "stream_token_expires": grant.expires}
    )
    answer = answer_for(fresh)
    if answer.kind == "fallback":
        fields = handoff.record_fields(crm.settings.console_url, record.call_sid, answer.reason)
        fresh = fresh.model_copy(update={"outcome": CallOutcome.HANDED_OFF, **fields})
    stored = crm.calls.open_stream(fresh, now)
    if stored.stream_token_id == grant.token_id:
        return answer
    logger.warning(
        "webhook replayed for a call already answered: the first answer again",
        extra={"twilio_status": stored.status, "direction": stored.direction},
    )
    return answer_for(stored)


def stream_parameters_for(record: CallRecord, stream_key: str) -> dict[str, str]:
    """The `<Parameter>`s for the record's stream grant (informative: the bridge trusts the
    record it claims with the token, not these)."""
    grant = StreamGrant(record.stream_token_id or "", record.stream_token_expires or 0)
    return routing.stream_parameters(
        direction=record.direction.value,
        customer_number=record.customer_number,
        customer_id=record.customer_id,
        shop_id=record.shop_id or "",
        appointment_id=record.appointment_id,
        token=issue_token(record.call_sid, record.direction.value, stream_key, grant=grant),
    )


def record_status(crm: Crm, form: dict[str, str], query: Mapping[str, str], now: datetime) -> bool:
    """Apply a status callback to its call record (forward only); True if it changed the record.

    A callback for a call we have no record of is ignored rather than written: a bare item
    would block the record the reminders Lambda or `/voice` creates a moment later. The one
    exception is a reminder dial whose run died before recording it: the callback's `query`
    names the attempt, and `reminders.adopt_unrecorded_dial` records it first. A status Twilio
    does not document is ignored too: the record could not be read back with it.
    """
    call_sid, status = form["CallSid"], _call_status(form)
    if status is None:
        logger.warning(
            "status callback with an unknown status",
            extra={"twilio_status": form.get("CallStatus")},
        )
        return False
    call = crm.calls.get(call_sid) or reminders.adopt_unrecorded_dial(
        crm, call_sid, query, form.get("To", ""), now
    )
    if call is None:
        logger.warning("status callback for an unknown call", extra={"twilio_status": status})
        return False
    answered_by = form.get("AnsweredBy") or None
    fields = routing.status_fields(
        status, form.get("CallDuration"), answered_by, _twilio_time(form.get("Timestamp")) or now
    )
    applied = crm.calls.update_status(call_sid, status, fields)
    if applied:
        reminders.on_call_status(
            crm,
            call,
            status,
            answered_by or call.answered_by,
            now,
            telephony=telephony_for(crm.settings),
        )
    return applied


def fallback(crm: Crm, reason: str, fresh: bool = True) -> Answer:
    """Apology + transfer to the shop, from a fresh catalogue read or the last one read.

    `fresh=False` after a failure: the table may be what failed, and the caller is waiting.
    """
    catalog: ShopCatalog | CallSetup | None = None
    if fresh:
        try:
            catalog = read_catalog(crm)
        except Exception:  # a fallback must answer whatever is broken
            logger.exception("fallback could not read the shop; using the last one read")
    catalog = catalog or last_known_catalog(crm)
    return routing.fallback_answer(
        catalog.shop.name if catalog else None,
        catalog.shop.phone if catalog else None,
        reason,
        catalog.settings.language if catalog else DEFAULT_LANGUAGE,
    )


def _appointment(crm: Crm, customer_id: str, appointment_id: str) -> Appointment | None:
    if not (customer_id and appointment_id):
        return None
    try:
        return crm.appointments.get(customer_id, appointment_id)
    except NotFound:
        return None


def _spoken_appointment(catalog: ShopCatalog, appointment: Appointment) -> str:
    start = appointment.start.astimezone(ZoneInfo(catalog.shop.timezone))
    service = catalog.service(appointment.service_type)
    lang = catalog.settings.language
    when = spoken_datetime(start, lang)
    if service is None:
        return text(lang, "calls.reminder_any_appointment", when=when)
    return text(lang, "calls.reminder_appointment", service=service.name.lower(), when=when)


def _call_status(form: dict[str, str]) -> CallStatus | None:
    """Twilio's `CallStatus` as our vocabulary, or None when it is missing or not Twilio's."""
    try:
        return CallStatus((form.get("CallStatus") or "").lower())
    except ValueError:
        return None


def _twilio_time(text: str | None) -> datetime | None:
    """Twilio's `Timestamp` (RFC 2822) so a repeated callback writes the same `ended_at`."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
