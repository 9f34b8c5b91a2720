"""Calls: the log (by day, filtered), one call's page, and steering a live call.

"Hand to me now" and "end call" go through the telephony port exactly as the bridge's own
handoff and hang-up do (`calls(sid).update(twiml=<Dial>…)` / `status=completed`); Twilio then
closes the media stream and the bridge finishes the call record.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from functions.admin.services import Refusal, current_staff, now, services
from pitstop.i18n import text
from pitstop.models import CallDirection, CallOutcome, CallRecord
from pitstop.observability import logger
from pitstop.recordings import ENV_RECORDINGS_BUCKET, ENV_RECORDINGS_DIR
from pitstop.twiml import handoff_twiml

router = Router()

#: How long a recording's link works: long enough to play it, too short to pass around.
RECORDING_LINK_SECONDS = 300
#: Where the local console serves `PITSTOP_RECORDINGS_DIR` (pitstop_local/console.py).
LOCAL_RECORDINGS_PATH = "/recordings/"


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


@lru_cache(maxsize=1)
def _s3(region: str) -> Any:  # botocore's S3 client (no stubs installed)
    import boto3
    from botocore.config import Config

    # Regional, virtual-hosted URLs (https://<bucket>.s3.<region>.amazonaws.com/…): the host the
    # console's CSP lets `<audio>` load from (infra `RecordingsBucket.origin`).
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=f"https://s3.{region}.amazonaws.com",
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),
    )


def recording_link(record: CallRecord) -> dict[str, Any] | None:
    """Where the console plays the call's recording: a short-lived presigned S3 URL (the
    bridge's stereo recording), the local stack's folder, or Twilio's recording of a call the
    bridge did not carry; None when there is none."""
    bucket = os.environ.get(ENV_RECORDINGS_BUCKET)
    if record.recording_key and bucket:
        url = _s3(services().crm.settings.aws_region).generate_presigned_url(
            "get_object",
            Params={"Bucket": bucket, "Key": record.recording_key},
            ExpiresIn=RECORDING_LINK_SECONDS,
        )
        return {"url": url, "source": "bridge", "expires_in": RECORDING_LINK_SECONDS}
    if record.recording_key and os.environ.get(ENV_RECORDINGS_DIR):
        return {"url": LOCAL_RECORDINGS_PATH + record.recording_key, "source": "bridge"}
    if record.twilio_recording_url:
        return {"url": record.twilio_recording_url + ".mp3", "source": "twilio"}
    return None


@router.get("/admin/calls/<call_sid>/recording")
def recording(call_sid: str) -> dict[str, Any]:
    """The call's recording link (JSON, for the page's `<audio>`); 404 when none was made."""
    link = recording_link(_record(call_sid))
    if link is None:
        raise Refusal(404, "no_recording", f"No recording of call {call_sid}.")
    return {"call_sid": call_sid, **link}


def _live(call_sid: str) -> CallRecord:
    record = _record(call_sid)
    if record.status.final:
        raise Refusal(409, "call_over", f"The call is already over ({record.status}).")
    if record.direction == CallDirection.TEST:
        # No Twilio call behind it: the Test call page's own hang-up ends it.
        raise Refusal(409, "test_call", "A test call is ended from the Test call page.")
    return record


@router.post("/admin/calls/<call_sid>/handoff")
def hand_to_me(call_sid: str) -> dict[str, Any]:
    """Put the live caller through to the shop's line, now."""
    _live(call_sid)
    svc = services()
    staff = current_staff(router)
    catalog = svc.crm.shops.catalog()
    lang = catalog.settings.language
    takeover = handoff_twiml(catalog.shop.phone, text(lang, "calls.takeover"), lang=lang)
    svc.telephony.redirect_call(call_sid, takeover)
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
