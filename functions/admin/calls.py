"""Calls: the log (by day, filtered), one call's page, and steering a live call.

"Hand to me now" and "end call" go through the telephony port exactly as the bridge's own
handoff and hang-up do (`calls(sid).update(twiml=<Dial>…)` / `status=completed`); Twilio then
closes the media stream and the bridge finishes the call record.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.admin.services import Refusal, current_staff, now, services
from pitstop.models import CallDirection, CallOutcome, CallRecord
from pitstop.observability import logger
from pitstop.twiml import handoff_twiml

router = Router()

TAKEOVER_MESSAGE = "One moment, I'm putting you through to a member of our team."


def shop_day(day: date | None) -> tuple[date, datetime, datetime]:
    """The shop's local day (today by default) as a UTC-comparable [start, end) window."""
    tz = ZoneInfo(services().crm.shops.catalog().shop.timezone)
    day = day or now().astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    return day, start, start + timedelta(days=1)


@router.get("/admin/calls")
def list_calls(
    day: Annotated[date | None, Query(alias="date")] = None,
    direction: Annotated[CallDirection | None, Query()] = None,
    outcome: Annotated[CallOutcome | None, Query()] = None,
    customer_id: Annotated[str | None, Query()] = None,
    live: Annotated[bool, Query()] = False,
) -> dict[str, Any]:
    """A day's calls, newest first; `live=true` keeps only calls still in progress."""
    day, start, end = shop_day(day)
    records = services().call_log.started_between(start, end)
    wanted = [
        r
        for r in records
        if (direction is None or r.direction == direction)
        and (outcome is None or r.outcome == outcome)
        and (customer_id is None or r.customer_id == customer_id)
        and (not live or not r.status.final)
    ]
    return {
        "date": day.isoformat(),
        "calls": [r.model_dump(mode="json", exclude_none=True) for r in wanted],
    }


def _record(call_sid: str) -> CallRecord:
    record = services().crm.calls.get(call_sid)
    if record is None:
        raise Refusal(404, "not_found", f"No call {call_sid}.")
    return record


@router.get("/admin/calls/<call_sid>")
def call_detail(call_sid: str) -> dict[str, Any]:
    calls = services().crm.calls
    record = _record(call_sid)
    return {
        "call": record.model_dump(mode="json", exclude_none=True),
        "transcript": [t.model_dump(mode="json") for t in calls.transcript(call_sid)],
        "tool_calls": [t.model_dump(mode="json") for t in calls.tool_calls(call_sid)],
    }


def _live(call_sid: str) -> CallRecord:
    record = _record(call_sid)
    if record.status.final:
        raise Refusal(409, "call_over", f"The call is already over ({record.status}).")
    return record


@router.post("/admin/calls/<call_sid>/handoff")
def hand_to_me(call_sid: str) -> dict[str, Any]:
    """Put the live caller through to the shop's line, now."""
    _live(call_sid)
    svc = services()
    staff = current_staff(router)
    shop_phone = svc.crm.shops.catalog().shop.phone
    svc.telephony.redirect_call(call_sid, handoff_twiml(shop_phone, TAKEOVER_MESSAGE))
    svc.crm.calls.take_over(
        call_sid, CallOutcome.HANDED_OFF.value, f"taken over from the console by {staff.username}"
    )
    logger.info("call taken over from the console", extra={"call_sid": call_sid})
    return {"call_sid": call_sid, "action": "handoff"}


@router.post("/admin/calls/<call_sid>/end")
def end_call(call_sid: str) -> dict[str, Any]:
    _live(call_sid)
    services().telephony.end_call(call_sid)
    logger.info("call ended from the console", extra={"call_sid": call_sid})
    return {"call_sid": call_sid, "action": "end_call"}
