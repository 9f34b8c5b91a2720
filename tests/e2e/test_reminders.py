"""Reminder calls through the local stack: `pitstop reminders run` (the real CLI, in a child
process, against this stack's DynamoDB and outbox) dials each due appointment once; a second
run dials nothing; the simulated Twilio answers the dialled calls — a person confirms, an
answering machine gets the voicemail message and no media stream is opened.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime, time, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from pitstop.models import Appointment, AppointmentStatus, ReminderStatus
from pitstop.telephony import read_outbox
from tests.e2e.conftest import play, transcript_text

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


async def reminders_run(stack) -> dict:
    """`pitstop reminders run --json` with the stack's PITSTOP_* environment (as `pitstop dev`
    exports it), paced fast enough for a test."""
    env = {**os.environ, "PITSTOP_CALLS_PER_SECOND": "200"}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pitstop.cli",
        "reminders",
        "run",
        "--json",
        "--endpoint",
        stack.dynamodb_endpoint,
        "--outbox",
        str(stack.outbox_path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await child.communicate()
    assert child.returncode == 0, err.decode()[-2000:]
    text = out.decode()
    return json.JSONDecoder().raw_decode(text, text.index("{\n"))[0]


def dialled_calls(stack) -> list[dict]:
    return [e for e in read_outbox(stack.outbox_path) if e["kind"] == "call"]


def appointment_of(call: dict) -> tuple[str, str]:
    query = parse_qs(urlsplit(call["url"]).query)
    return query["customer_id"][0], query["appointment_id"][0]


def book_tomorrow(stack, tomorrow, customers: list[str]) -> None:
    """Make sure tomorrow has appointments to remind (the seed's calendar may leave it empty),
    including one for a customer on do-not-call, who must not be dialled."""
    catalog = stack.crm.shops.catalog()
    tz = ZoneInfo(catalog.shop.timezone)
    for n, customer_id in enumerate(customers):
        vehicle = stack.crm.customers.file(customer_id).vehicles[0]
        start = datetime.combine(tomorrow, time(11, 0), tzinfo=tz) + timedelta(minutes=30 * n)
        stack.crm.appointments.book(
            Appointment(
                appointment_id=f"apt_e2erem{n}",
                shop_id=catalog.shop.shop_id,
                customer_id=customer_id,
                vehicle_id=vehicle.vehicle_id,
                service_type="state_inspection",
                bay="bay3",
                start=start,
                end=start + timedelta(minutes=30),
            )
        )


async def test_reminder_run_dials_each_due_appointment_once_then_calls_are_answered(stack):
    shop = stack.crm.shops.catalog().shop
    tomorrow = (datetime.now(UTC).astimezone(ZoneInfo(shop.timezone)) + timedelta(days=1)).date()
    book_tomorrow(stack, tomorrow, ["cus_demo0003", "cus_demo0006", "cus_demo0011"])
    assert stack.crm.customers.get("cus_demo0011").do_not_call
    due = set()
    for appointment in stack.crm.appointments.on_day(shop.shop_id, tomorrow):
        customer = stack.crm.customers.get(appointment.customer_id)
        if appointment.status == AppointmentStatus.SCHEDULED and not customer.do_not_call:
            due.add(appointment.appointment_id)
    assert {"apt_e2erem0", "apt_e2erem1"} <= due and "apt_e2erem2" not in due
    before = len(dialled_calls(stack))

    first = await reminders_run(stack)
    calls = dialled_calls(stack)[before:]
    assert first["dialled"] == len(calls) == len(due)
    assert sorted(appointment_of(c)[1] for c in calls) == sorted(due)  # each once
    for call in calls:
        assert call["machine_detection"] is True
        assert call["url"].startswith(f"{stack.http_url}/voice/reminder?")
        # the callback names its attempt, so it lands even if the run dies before recording it
        callback, _, query = call["status_callback"].partition("?")
        assert callback == f"{stack.http_url}/voice/status"
        assert dict(parse_qsl(query)).keys() == {"customer_id", "appointment_id", "attempt_id"}

    second = await reminders_run(stack)
    assert second["dialled"] == 0
    assert len(dialled_calls(stack)) == before + len(calls)

    # A person answers the first call and confirms; a machine answers the second.
    human, machine = calls[0], calls[1]
    confirmed, voicemail = await asyncio.gather(
        play(stack, "reminder-confirmed", dialled=human),
        play(stack, "reminder-voicemail", dialled=machine),
    )
    assert not confirmed.problems, f"{confirmed.problems}\n{transcript_text(confirmed)}"
    customer_id, appointment_id = appointment_of(human)
    stored = stack.crm.appointments.get(customer_id, appointment_id)
    assert stored.status == AppointmentStatus.CONFIRMED
    assert stored.reminder_status != ReminderStatus.VOICEMAIL
    assert confirmed.result.stream_parameters["direction"] == "reminder"
    assert confirmed.result.stream_parameters["appointment_id"] == appointment_id

    assert not voicemail.problems, f"{voicemail.problems}\n{transcript_text(voicemail)}"
    customer_id, appointment_id = appointment_of(machine)
    stored = stack.crm.appointments.get(customer_id, appointment_id)
    assert stored.reminder_status == ReminderStatus.VOICEMAIL
    assert stored.status == AppointmentStatus.SCHEDULED
    assert not voicemail.result.stream_opened and voicemail.result.said("twiml")
    assert stack.crm.calls.get(machine["sid"]).outcome == "voicemail"

    # Answered reminders are never dialled again.
    third = await reminders_run(stack)
    assert third["dialled"] == 0
