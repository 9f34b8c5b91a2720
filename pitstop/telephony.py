"""The telephony port: SMS, live-call control and outbound dialling.

Production talks to Twilio's REST API through the `twilio` client; the local stack writes the
same requests to an outbox file (JSON lines) that people and tests can read. Both sides of the
port take and return the same things, so the logic above never knows which one it has.

A test call from the console has no Twilio call behind it and must never text a real phone:
its tools get `HeldTexts`, which records each text on the call record instead of sending it.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pitstop.config import Settings
from pitstop.models import HeldText
from pitstop.secrets import twilio_credentials

if TYPE_CHECKING:
    from twilio.rest import Client

    from pitstop.dal.calls import CallRepository


class OptedOut(Exception):
    """The recipient has texted STOP to our number: Twilio refuses every text to them."""


# Twilio's error for a message to a number that unsubscribed ("Attempt to send to unsubscribed
# recipient"): the opt-out Twilio keeps even when our CRM has not heard of it yet.
TWILIO_UNSUBSCRIBED = 21610


class Telephony(Protocol):
    def send_sms(self, to: str, body: str) -> str:
        """Send a text; returns the message SID. `OptedOut` if the recipient unsubscribed."""

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        """Replace what a live call is doing with new TwiML (e.g. `<Dial>` the shop)."""

    def end_call(self, call_sid: str) -> None:
        """Hang up a live call."""

    def create_call(
        self, to: str, url: str, status_callback: str, machine_detection: bool = True
    ) -> str:
        """Place an outbound call that fetches its TwiML from `url`; returns the call SID."""

    def calls_to(self, to: str, since: datetime) -> list[str]:
        """SIDs of the calls we placed to `to` since `since` (oldest first): what a reminder run
        asks before redialling an appointment whose last dial may have gone out unrecorded."""


# Twilio's clock and ours differ by a little: a call created just "before" the intent is ours.
CLOCK_SKEW = timedelta(seconds=30)


class TwilioTelephony:
    """Twilio's REST API through the official client.

    The client is built on first use: it needs the credentials from Secrets Manager, which most
    invocations (a tool call that sends no SMS, say) never do.
    """

    def __init__(self, from_number: str, client: Client | None = None):
        self._given_client = client
        self._from = from_number

    @cached_property
    def _client(self) -> Client:
        if self._given_client is not None:
            return self._given_client
        from twilio.rest import Client

        creds = twilio_credentials()
        return Client(creds.account_sid, creds.auth_token)

    def send_sms(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioRestException

        try:
            return self._client.messages.create(to=to, from_=self._from, body=body).sid
        except TwilioRestException as error:
            if error.code == TWILIO_UNSUBSCRIBED:
                raise OptedOut(to) from error
            raise

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        self._client.calls(call_sid).update(twiml=twiml)

    def end_call(self, call_sid: str) -> None:
        self._client.calls(call_sid).update(status="completed")

    def create_call(
        self, to: str, url: str, status_callback: str, machine_detection: bool = True
    ) -> str:
        options = {"machine_detection": "DetectMessageEnd"} if machine_detection else {}
        call = self._client.calls.create(
            to=to,
            from_=self._from,
            url=url,
            method="POST",
            status_callback=status_callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            status_callback_method="POST",
            **options,
        )
        return call.sid

    def calls_to(self, to: str, since: datetime) -> list[str]:
        # Twilio filters `StartTime>=` by day (and a queued call has no start time yet); the
        # exact cut is made here on `date_created`, which every call has.
        calls = self._client.calls.list(to=to, from_=self._from, start_time_after=since)
        cut = since - CLOCK_SKEW
        placed = [c for c in calls if c.date_created is not None and c.date_created >= cut]
        return [str(c.sid) for c in sorted(placed, key=lambda c: c.date_created)]


class OutboxTelephony:
    """Writes each request as one JSON line to a local outbox file instead of calling Twilio."""

    _lock = threading.Lock()

    def __init__(self, path: Path, from_number: str):
        self._path = Path(path)
        self._from = from_number

    def send_sms(self, to: str, body: str) -> str:
        return self._write("sms", "SM", to=to, from_=self._from, body=body)

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        self._write("redirect", "RD", call_sid=call_sid, twiml=twiml)

    def end_call(self, call_sid: str) -> None:
        self._write("hangup", "HU", call_sid=call_sid)

    def create_call(
        self, to: str, url: str, status_callback: str, machine_detection: bool = True
    ) -> str:
        return self._write(
            "call",
            "CA",
            to=to,
            from_=self._from,
            url=url,
            status_callback=status_callback,
            machine_detection=machine_detection,
        )

    def calls_to(self, to: str, since: datetime) -> list[str]:
        cut = since - CLOCK_SKEW
        return [
            str(entry["sid"])
            for entry in read_outbox(self._path)
            if entry.get("kind") == "call"
            and entry.get("to") == to
            and datetime.fromisoformat(entry["at"]) >= cut
        ]

    def _write(self, kind: str, sid_prefix: str, **fields: object) -> str:
        sid = sid_prefix + uuid.uuid4().hex
        entry = {"kind": kind, "sid": sid, "at": datetime.now(UTC).isoformat(), **fields}
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._path.open("a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(entry) + "\n")
        return sid


class HeldTexts:
    """A test call's telephony: each text is held on the call record (`held_texts`, shown on
    the test-call page), never sent; there is no Twilio call to redirect, end or dial from.

    Read-then-write is enough here: one call's tools run one at a time."""

    def __init__(self, calls: CallRepository, call_sid: str):
        self._calls = calls
        self._call_sid = call_sid

    def send_sms(self, to: str, body: str) -> str:
        record = self._calls.get(self._call_sid)
        held = [*(record.held_texts if record else []), HeldText(to=to, body=body, at=_now())]
        self._calls.set_fields(
            self._call_sid, {"held_texts": [h.model_dump(mode="json") for h in held]}
        )
        return "SMheld" + uuid.uuid4().hex

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        return None

    def end_call(self, call_sid: str) -> None:
        return None

    def create_call(
        self, to: str, url: str, status_callback: str, machine_detection: bool = True
    ) -> str:
        raise RuntimeError("a test call places no calls")

    def calls_to(self, to: str, since: datetime) -> list[str]:
        return []


def _now() -> datetime:
    return datetime.now(UTC)


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Every entry of a local outbox, oldest first (empty when nothing was sent)."""
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def telephony_for(settings: Settings) -> Telephony:
    """The telephony the settings ask for (`twilio` in AWS, `outbox` locally)."""
    if settings.telephony == "twilio":
        return TwilioTelephony(settings.from_number)
    return OutboxTelephony(settings.outbox_path, settings.from_number)
