"""Recording the calls the bridge does not carry, through Twilio, when the shop records calls.

The bridge records what it carries. Whatever else a call does (the fallback's transfer, a
handoff's dial, the message taker) Twilio records: every `<Dial>` of an answer gets
`record="record-from-answer-dual"`, and every `<Dial>` and `<Record>` a recording status
callback to `/voice/recording`, which links the recording on the call record. Imported by the
handler only after the signature check, as `flows` is.
"""

from __future__ import annotations

from dataclasses import replace

from functions.webhook import flows
from functions.webhook.routing import Answer
from pitstop import handoff
from pitstop.dal import Crm
from pitstop.dal.after_call import AfterCallRepository
from pitstop.observability import logger

#: Twilio's `RecordingStatus` once the recording's media can be fetched.
COMPLETED = "completed"


def recorded_answer(crm: Crm, answer: Answer, call_sid: str) -> Answer:
    """`answer` as Twilio should run it: recorded when the shop records calls.

    The settings are the catalogue this request already read (no second read on the call
    path); a route that read none (it failed before) answers unrecorded."""
    catalog = flows.last_known_catalog(crm)
    if catalog is None or not catalog.settings.recording_enabled or not call_sid:
        return answer
    callback = handoff.recording_callback(crm.settings.public_url, call_sid)
    return replace(answer, twiml=handoff.recorded(answer.twiml, callback))


def link_recording(crm: Crm, form: dict[str, str], query: dict[str, str]) -> bool:
    """Twilio's recording status callback: a completed recording linked on its call's record
    (a `<Dial>` leg's recording on the caller's call, named in the query); True if linked."""
    status = form.get("RecordingStatus", "")
    call_sid = query.get("call") or form["CallSid"]
    sid, url = form.get("RecordingSid", ""), form.get("RecordingUrl", "")
    if status != COMPLETED or not (sid and url):
        logger.info("recording not linked", extra={"recording_status": status})
        return False
    seconds = int(form.get("RecordingDuration") or 0)
    linked = AfterCallRepository(crm.table).link_twilio_recording(call_sid, sid, url, seconds)
    logger.info(
        "twilio recording", extra={"recording_sid": sid, "seconds": seconds, "linked": linked}
    )
    return linked
