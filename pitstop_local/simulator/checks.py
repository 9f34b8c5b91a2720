"""What a call changed in the CRM and the outbox, and whether that is what the scenario expects.

Why snapshots rather than "find an appointment": the seeded data already has appointments, so
"booked" must mean *a new one appeared during this call*, "rescheduled" *an existing one moved*.
Comparing the caller's file before and after the call says exactly that, and prints well.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    expect: Expectations, result: CallResult, change: Change, handoff_numbers: Sequence[str]
) -> list[str]:
    """Every way the call missed its scenario's expectations (empty = all met).

    `handoff_numbers`: the numbers a handoff may ring (`pitstop.handoff.targets`)."""
    call = _Call(expect, result, change, tuple(handoff_numbers))
    problems = list(result.failures)
    for rule in _RULES:
        problems += rule(call)
    return problems


@dataclass(frozen=True)
class _Call:
    """The call as the rules see it. Each rule checks one expectation and finds nothing when
    the scenario does not state it."""

    expect: Expectations
    result: CallResult
    change: Change
    handoff_numbers: tuple[str, ...]


def _outcome(call: _Call) -> list[str]:
    got = call.change.record.outcome if call.change.record else None
    if call.expect.outcome is None or got == call.expect.outcome:
        return []
    return [f"call outcome is {got!r}, expected {call.expect.outcome!r}"]


def _appointment(call: _Call) -> list[str]:
    wanted = call.expect.appointment
    if wanted is None:
        return []
    found = {
        "booked": call.change.booked,
        "cancelled": call.change.cancelled,
        "confirmed": call.change.confirmed,
        "rescheduled": [new for _, new in call.change.rescheduled],
    }[wanted.change]
    if wanted.service_type:
        found = [a for a in found if a.service_type == wanted.service_type]
    if len(found) == 1:
        return []
    return [
        f"expected exactly one appointment {wanted.change}"
        f"{' (' + wanted.service_type + ')' if wanted.service_type else ''}, "
        f"found {len(found)}"
    ]


def _registered(call: _Call) -> list[str]:
    if call.expect.customer_registered is None:
        return []
    name = call.change.new_customer.name if call.change.new_customer else None
    if name and name.lower() == call.expect.customer_registered.lower():
        return []
    return [f"expected new customer {call.expect.customer_registered!r}, got {name!r}"]


def _sms(call: _Call) -> list[str]:
    if call.expect.sms is None or bool(call.change.sms(call.result.caller)) == call.expect.sms:
        return []
    return [f"expected {'an' if call.expect.sms else 'no'} SMS to the caller in the outbox"]


def _handoff(call: _Call) -> list[str]:
    if call.expect.handoff is None:
        return []
    redirects = call.change.redirects(call.result.call_sid)
    dialled = any(
        "<Dial" in r.get("twiml", "") and any(n in r["twiml"] for n in call.handoff_numbers)
        for r in redirects
    )
    if dialled == call.expect.handoff and not (
        call.expect.handoff and call.result.dialled not in call.handoff_numbers
    ):
        return []
    return [
        f"handoff expected={call.expect.handoff}: redirects={len(redirects)}, "
        f"simulator dialled {call.result.dialled!r}, handoff numbers {list(call.handoff_numbers)!r}"
    ]


def _voicemail(call: _Call) -> list[str]:
    if call.expect.voicemail is None:
        return []
    left = (
        not call.result.stream_opened
        and bool(call.result.said("twiml"))
        and call.change.record is not None
        and call.change.record.outcome == "voicemail"
    )
    if left == call.expect.voicemail:
        return []
    return [
        f"voicemail expected={call.expect.voicemail}, stream_opened="
        f"{call.result.stream_opened}, outcome={call.change.record and call.change.record.outcome}"
    ]


def _stream(call: _Call) -> list[str]:
    if call.expect.stream_opened is None or call.result.stream_opened == call.expect.stream_opened:
        return []
    return [f"stream_opened is {call.result.stream_opened}, expected {call.expect.stream_opened}"]


def _agent_said(call: _Call) -> list[str]:
    agent_words = " ".join(call.result.said("agent") + call.result.said("twiml"))
    return [
        f"the agent never said /{pattern}/"
        for pattern in call.expect.agent_said
        if not re.search(pattern, agent_words, re.IGNORECASE)
    ]


def _barge_in(call: _Call) -> list[str]:
    limit = call.expect.barge_in_stop_ms
    if limit is None:
        return []
    problems = [] if call.result.barge_ins else ["no barge-in happened"]
    problems += [
        f"barge-in: agent audio stopped {barge.stop_ms} ms after the caller "
        f"spoke (limit {limit}), clears={barge.clears}"
        for barge in call.result.barge_ins
        if barge.clears < 1 or barge.stop_ms is None or barge.stop_ms > limit
    ]
    return problems


_RULES: tuple[Callable[[_Call], list[str]], ...] = (
    _outcome,
    _appointment,
    _registered,
    _sms,
    _handoff,
    _voicemail,
    _stream,
    _agent_said,
    _barge_in,
)


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
        f"{a.appointment_id} {a.service_type} {a.start.isoformat()}-{a.end.strftime('%H:%M')} "
        f"bay {a.bay} status={a.status.value}"
    )
