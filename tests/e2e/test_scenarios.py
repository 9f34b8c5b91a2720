"""Every shipped scenario through the full local stack: simulated Twilio → webhook → bridge →
offline engine → tools API → moto DynamoDB, with the outcome checked in the CRM and outbox.

The independent inbound calls are placed concurrently (different callers, one table) to keep
the suite's wall time down; each test then checks its own call.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from pitstop import handoff
from pitstop.dal import keys
from pitstop.models import AppointmentStatus
from tests.e2e.conftest import play, transcript_text

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CONCURRENT = [
    "known-customer-books-oil-change",
    "new-customer-books",
    "reschedule",
    "cancel",
    "handoff",
]


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def calls(stack):
    """The concurrent inbound calls, started together the first time any test needs one."""
    tasks = {name: asyncio.create_task(play(stack, name), name=name) for name in CONCURRENT}
    yield tasks
    for task in tasks.values():
        task.cancel()
    await asyncio.gather(*tasks.values(), return_exceptions=True)


async def _played(calls, name):
    played = await calls[name]
    assert not played.problems, f"{played.problems}\n{transcript_text(played)}"
    return played


async def test_known_customer_books_an_oil_change(stack, calls):
    played = await _played(calls, "known-customer-books-oil-change")
    [appointment] = played.change.booked
    item = stack.crm.table.get_item(
        Key={
            keys.PK: keys.customer(appointment.customer_id),
            keys.SK: keys.appointment_sk(appointment.appointment_id),
        }
    )["Item"]
    assert item["service_type"] == "oil_change" and item["customer_id"] == "cus_demo0001"
    assert item["vehicle_id"] == "veh_demo0001" and item["status"] == "scheduled"
    [sms] = played.change.sms("+15551230001")
    assert appointment.appointment_id in sms["body"] or "oil" in sms["body"].lower()
    # both sides are in the transcript, and the recording holds the whole call
    assert played.result.said("caller")[0].lower().startswith("hi, i'd like to book an oil change")
    agent = played.result.said("agent")
    assert "offline test voice" in agent[0]  # the engine never poses as the production AI
    assert any("shall i book" in t.lower() for t in agent)
    assert (
        len(played.result.caller_audio)
        == len(played.result.agent_audio)
        == played.result.duration_ms * 8
    )
    record = played.change.record
    assert record.outcome == "booked" and record.customer_id == "cus_demo0001"
    turns = stack.crm.calls.transcript(played.result.call_sid)
    assert {t.role for t in turns} >= {"caller", "agent"}


async def test_new_customer_is_registered_and_books(stack, calls):
    played = await _played(calls, "new-customer-books")
    customer = played.change.new_customer
    assert customer.phone == "+15557770123"
    file = stack.crm.customers.file(customer.customer_id)
    assert [(v.make, v.model, v.year) for v in file.vehicles] == [("Honda", "Civic", 2018)]
    [appointment] = played.change.booked
    assert appointment.vehicle_id == file.vehicles[0].vehicle_id


async def test_known_customer_reschedules(stack, calls):
    played = await _played(calls, "reschedule")
    [(old, new)] = played.change.rescheduled
    assert new.start != old.start and new.status == AppointmentStatus.SCHEDULED
    # the old bay time is free again, the new one is held
    held = stack.crm.appointments.taken(new.shop_id, new.day)
    assert any(bay == new.bay for bay, _ in held)


async def test_known_customer_cancels(stack, calls):
    played = await _played(calls, "cancel")
    [cancelled] = played.change.cancelled
    stored = stack.crm.appointments.get(cancelled.customer_id, cancelled.appointment_id)
    assert stored.status == AppointmentStatus.CANCELLED
    assert cancelled.appointment_id not in {
        a.appointment_id
        for a in stack.crm.appointments.on_day(cancelled.shop_id, cancelled.day)
        if a.active
    }


async def test_asking_for_a_person_redirects_the_call_to_the_shop(stack, calls):
    played = await _played(calls, "handoff")
    catalog = stack.crm.shops.catalog()
    first = handoff.targets(catalog.shop, catalog.settings)[0]
    [redirect] = played.change.redirects(played.result.call_sid)
    assert "<Dial" in redirect["twiml"] and first in redirect["twiml"]
    # the simulated Twilio followed the redirect: stream stopped, the first handoff number
    # dialled and answered; the <Dial action> route then ends the finished call
    assert played.result.dialled == first and played.result.dial_statuses == ["completed"]
    assert played.change.record.outcome == "handed_off"


async def test_barge_in_stops_the_agent_within_100_ms(stack):
    """Real-time line (speed 1): the caller talks over the greeting; measured on the
    simulator's timeline from the caller's first voiced frame to the last agent frame heard.
    (Runs after the concurrent calls above have finished, alone on the machine.)"""
    played = await play(stack, "barge-in", speed=1.0)
    assert not played.problems, f"{played.problems}\n{transcript_text(played)}"
    [barge] = played.result.barge_ins
    assert barge.clears >= 1
    assert 0 <= barge.stop_ms <= 100, barge
    clear = next(e for e in played.result.events if e.kind == "clear" and e.ms >= barge.speech_ms)
    assert clear.detail["dropped_ms"] > 0  # the agent had more to say; it was dropped
