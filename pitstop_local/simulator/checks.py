"""What a call changed in the CRM and the outbox, and whether that is what the scenario expects.

Why snapshots rather than "find an appointment": the seeded data already has appointments, so
"booked" must mean *a new one appeared during this call*, "rescheduled" *an existing one moved*.
Comparing the caller's file before and after the call says exactly that, and prints well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pitstop.dal import Crm, NotFound
from pitstop.models import Appointment, AppointmentStatus, CallRecord, Customer
from pitstop.telephony import read_outbox
from pitstop_local.simulator.scenario import Expectations
from pitstop_local.simulator.twilio_sim import CallResult


@dataclass
class Snapshot:
    phone: str
    customer_id: str | None
    appointments: dict[str, Appointment]
    outbox_len: int


@dataclass
class Change:
    """The difference a call made for one phone number."""

    new_customer: Customer | None = None
    booked: list[Appointment] = field(default_factory=list)
    rescheduled: list[tuple[Appointment, Appointment]] = field(default_factory=list)
    cancelled: list[Appointment] = field(default_factory=list)
    confirmed: list[Appointment] = field(default_factory=list)
    outbox: list[dict] = field(default_factory=list)
    record: CallRecord | None = None

    def sms(self, phone: str) -> list[dict]:
        return [e for e in self.outbox if e.get("kind") == "sms" and e.get("to") == phone]

    def redirects(self, call_sid: str) -> list[dict]:
        return [
            e for e in self.outbox if e.get("kind") == "redirect" and e.get("call_sid") == call_sid
        ]


def snapshot(crm: Crm, phone: str, outbox_path: Path | None) -> Snapshot:
    customer_id = crm.customers.id_for_phone(phone)
    appointments = {}
    if customer_id:
        appointments = {a.appointment_id: a for a in crm.customers.file(customer_id).appointments}
    outbox_len = len(read_outbox(outbox_path)) if outbox_path else 0
    return Snapshot(phone, customer_id, appointments, outbox_len)


def change_since(crm: Crm, before: Snapshot, call_sid: str, outbox_path: Path | None) -> Change:
    change = Change(record=crm.calls.get(call_sid))
    if outbox_path:
        change.outbox = read_outbox(outbox_path)[before.outbox_len :]
    customer_id = before.customer_id or crm.customers.id_for_phone(before.phone)
    if not customer_id:
        return change
    try:
        file = crm.customers.file(customer_id)
    except NotFound:
        return change
    if before.customer_id is None:
        change.new_customer = file.customer
    for after in file.appointments:
        old = before.appointments.get(after.appointment_id)
        if old is None:
            if after.active:
                change.booked.append(after)
        elif (
            after.status == AppointmentStatus.CANCELLED
            and old.status != AppointmentStatus.CANCELLED
        ):
            change.cancelled.append(after)
        elif after.start != old.start and after.active:
            change.rescheduled.append((old, after))
        elif (
            after.status == AppointmentStatus.CONFIRMED
            and old.status != AppointmentStatus.CONFIRMED
        ):
            change.confirmed.append(after)
    return change


def check(
    expect: Expectations, result: CallResult, change: Change, shop_phone: str | None
) -> list[str]:
    """Every way the call missed its scenario's expectations (empty = all met)."""
    problems = list(result.failures)
    if expect.outcome is not None:
        got = change.record.outcome if change.record else None
        if got != expect.outcome:
            problems.append(f"call outcome is {got!r}, expected {expect.outcome!r}")
    if expect.appointment is not None:
        wanted = expect.appointment
        found = {
            "booked": change.booked,
            "cancelled": change.cancelled,
            "confirmed": change.confirmed,
            "rescheduled": [new for _, new in change.rescheduled],
        }[wanted.change]
        if wanted.service_type:
            found = [a for a in found if a.service_type == wanted.service_type]
        if len(found) != 1:
            problems.append(
                f"expected exactly one appointment {wanted.change}"
                f"{' (' + wanted.service_type + ')' if wanted.service_type else ''}, "
                f"found {len(found)}"
            )
    if expect.customer_registered is not None:
        name = change.new_customer.name if change.new_customer else None
        if not name or name.lower() != expect.customer_registered.lower():
            problems.append(f"expected new customer {expect.customer_registered!r}, got {name!r}")
    if expect.sms is not None and bool(change.sms(result.caller)) != expect.sms:
        problems.append(f"expected {'an' if expect.sms else 'no'} SMS to the caller in the outbox")
    if expect.handoff is not None:
        redirects = change.redirects(result.call_sid)
        dialled = any(
            "<Dial" in r.get("twiml", "") and (not shop_phone or shop_phone in r["twiml"])
            for r in redirects
        )
        if dialled != expect.handoff or (expect.handoff and result.dialled != shop_phone):
            problems.append(
                f"handoff expected={expect.handoff}: redirects={len(redirects)}, "
                f"simulator dialled {result.dialled!r}, shop is {shop_phone!r}"
            )
    if expect.voicemail is not None:
        left = (
            not result.stream_opened
            and bool(result.said("twiml"))
            and change.record is not None
            and change.record.outcome == "voicemail"
        )
        if left != expect.voicemail:
            problems.append(
                f"voicemail expected={expect.voicemail}, stream_opened="
                f"{result.stream_opened}, outcome={change.record and change.record.outcome}"
            )
    if expect.stream_opened is not None and result.stream_opened != expect.stream_opened:
        problems.append(f"stream_opened is {result.stream_opened}, expected {expect.stream_opened}")
    agent_words = " ".join(result.said("agent") + result.said("twiml"))
    for pattern in expect.agent_said:
        if not re.search(pattern, agent_words, re.IGNORECASE):
            problems.append(f"the agent never said /{pattern}/")
    if expect.barge_in_stop_ms is not None:
        if not result.barge_ins:
            problems.append("no barge-in happened")
        for barge in result.barge_ins:
            if barge.clears < 1 or barge.stop_ms is None or barge.stop_ms > expect.barge_in_stop_ms:
                problems.append(
                    f"barge-in: agent audio stopped {barge.stop_ms} ms after the caller "
                    f"spoke (limit {expect.barge_in_stop_ms}), clears={barge.clears}"
                )
    return problems


def describe(change: Change) -> list[str]:
    """Human-readable lines about what the call changed."""
    lines = []
    if change.new_customer:
        c = change.new_customer
        lines.append(f"new customer: {c.name} {c.phone} ({c.customer_id})")
    for a in change.booked:
        lines.append(f"booked: {_appt(a)}")
    for old, new in change.rescheduled:
        lines.append(f"rescheduled: {new.appointment_id} {old.start.isoformat()} -> {_appt(new)}")
    for a in change.cancelled:
        lines.append(f"cancelled: {_appt(a)}")
    for a in change.confirmed:
        lines.append(f"confirmed: {_appt(a)}")
    for entry in change.outbox:
        if entry.get("kind") == "sms":
            lines.append(f"SMS to {entry['to']}: {entry['body']}")
        elif entry.get("kind") == "redirect":
            lines.append(f"call redirected: {entry['twiml']}")
        elif entry.get("kind") == "hangup":
            lines.append("call hung up by the agent")
    if change.record:
        lines.append(f"call record: status={change.record.status} outcome={change.record.outcome}")
    return lines or ["no change in the CRM"]


def _appt(a: Appointment) -> str:
    return (
        f"{a.appointment_id} {a.service_type} {a.start.isoformat()}–{a.end.strftime('%H:%M')} "
        f"bay {a.bay} status={a.status.value}"
    )
