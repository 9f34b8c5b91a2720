"""No dead ends, through the whole local stack: every failure path ends with the caller heard by
a person, or with a message taken. Simulated Twilio → webhook → bridge → offline engine (strict)
→ moto DynamoDB; the simulator follows `<Connect action>`, `<Dial action>`, `<Number url>` and
`<Record action>` as Twilio does, and plays the shop's line as the scenario says.

Faults are injected where production has them: a stale heartbeat in the table (a dead fleet),
the bridge's process killed mid-call (a crashed task), the Realtime engine stopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from pitstop import handoff
from pitstop.models import MessageStatus, OpeningHours, Shop
from pitstop.seed import HANDOFF_NUMBERS
from pitstop.telephony import read_outbox
from pitstop_local.simulator.scenario import Scenario
from pitstop_local.simulator.twilio_sim import CallResult, Turn
from tests.e2e.conftest import SPEED, engine_with_rules, render

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CALLER = "+15551230001"  # the seeded demo customer
GREETED = {"type": "wait_for_agent", "timeout_ms": 20_000}
DEAD_TASK = "e2e-dead-task"
STAY_ON = {"type": "pause", "ms": 25_000}  # the caller waits; the fault ends the stream first


def _scenario(name: str, steps: list[dict], **fields) -> Scenario:
    return Scenario.model_validate({"name": name, "from": CALLER, "steps": steps, **fields})


async def _place(
    stack, scenario: Scenario, on_turn: Callable[[Turn], None] | None = None
) -> CallResult:
    sim = stack.simulator(speed=SPEED, on_turn=on_turn)
    result = await sim.call(render(stack, scenario, scenario.caller))
    if result.stream_opened:
        await stack.call_finished(result.call_sid)
    return result


@asynccontextmanager
async def _shop(stack, open_now: bool) -> AsyncIterator[Shop]:
    """The shop open round the clock, or closed today (a holiday); restored afterwards."""
    before = stack.crm.shops.catalog().shop
    today = datetime.now(ZoneInfo(before.timezone)).date()
    always = OpeningHours(opens=time(0, 0), closes=time(23, 59, 59))
    changed = before.model_copy(
        update={"opening_hours": dict.fromkeys(before.opening_hours, always)}
        if open_now
        else {"holidays": [*before.holidays, today]}
    )
    stack.crm.shops.put_shop(changed)
    try:
        yield changed
    finally:
        stack.crm.shops.put_shop(before)


def _new_message(stack, before: set[str]):
    """The one message taken since `before` (the message ids there were)."""
    [message] = [
        m for m in stack.crm.messages.list(MessageStatus.NEW) if m.message_id not in before
    ]
    return message


def _crash_after_greeting(stack) -> tuple[Callable[[Turn], None], asyncio.Event]:
    """An `on_turn` that kills the bridge's process once the agent has spoken (a crashed task:
    Twilio's stream drops with no close frame and no REST call; the stack starts a new one)."""
    crashed = asyncio.Event()

    def on_turn(turn: Turn) -> None:
        if turn.role != "agent" or crashed.is_set():
            return
        stack.crash_bridge()
        crashed.set()

    return on_turn, crashed


@asynccontextmanager
async def _fleet_dead(stack) -> AsyncIterator[None]:
    """Every bridge task's heartbeat stale, as after the fleet died: the local bridge is frozen
    (no beats) and the last beat is backdated; it beats again afterwards."""
    async with stack.bridge_paused():
        stale = datetime.now(UTC) - timedelta(minutes=5)
        for task in (stack.bridge_task_id, DEAD_TASK):
            stack.crm.heartbeats.beat(task, stale)
        yield


async def test_bridge_down_sends_the_caller_straight_to_a_person(stack):
    """Every heartbeat is stale: `/voice` answers with the fallback, no stream is opened, and
    the shop's line is rung (a person picks up)."""
    async with _fleet_dead(stack):
        result = await _place(stack, _scenario("bridge-down", []))
    assert not result.stream_opened and not result.failures, result.failures
    assert result.dialled == stack.crm.shops.catalog().shop.phone  # the fallback rings the shop
    assert result.dial_statuses == ["completed"]
    assert any("connect you" in said.lower() for said in result.said("twiml"))


async def test_bridge_crash_inside_hours_rings_a_person_who_hears_the_whisper(stack):
    on_turn, crashed = _crash_after_greeting(stack)
    async with _shop(stack, open_now=True):
        result = await _place(stack, _scenario("crash-open", [GREETED, STAY_ON]), on_turn)
    assert crashed.is_set() and not result.failures, result.failures
    assert [u.split("?")[0].rsplit("/", 1)[-1] for u in result.requests] == [
        "voice",
        "stream-ended",
        "whisper",
        "dial-ended",
    ]
    assert result.dialled == HANDOFF_NUMBERS[0] and result.dial_statuses == ["completed"]
    [whisper] = result.whispers
    assert "Alex Morgan" in whisper
    record = stack.crm.calls.get(result.call_sid)
    assert record.outcome == "handed_off" and record.handoff_to == HANDOFF_NUMBERS[0]
    assert record.handoff_seconds == 3


async def test_bridge_crash_after_hours_takes_a_recorded_message(stack):
    on_turn, crashed = _crash_after_greeting(stack)
    before = {m.message_id for m in stack.crm.messages.list(None)}
    outbox = len(read_outbox(stack.outbox_path))
    async with _shop(stack, open_now=False):
        result = await _place(stack, _scenario("crash-closed", [GREETED, STAY_ON]), on_turn)
    assert crashed.is_set() and not result.failures, result.failures
    assert result.dialled is None and len(result.recordings) == 1
    message = _new_message(stack, before)
    assert message.call_sid == result.call_sid and message.recording_url == result.recordings[0]
    assert message.customer_id == "cus_demo0001" and message.callback_number == CALLER
    texts = [e for e in read_outbox(stack.outbox_path)[outbox:] if e["kind"] == "sms"]
    advisor = stack.crm.shops.catalog().settings.advisor_number
    assert [e["to"] for e in texts] == [advisor]
    assert stack.crm.calls.get(result.call_sid).outcome == "message_taken"
    assert result.ended_by == "twiml_hangup"


async def test_realtime_unavailable_hands_the_caller_to_a_person_within_3_s(stack):
    from pitstop_local.engine import serve_engine

    engine = stack._engine
    host, port = engine.sockets[0].getsockname()[:2]
    engine.close()
    await engine.wait_closed()
    try:
        result = await _place(stack, _scenario("realtime-down", [STAY_ON]))
    finally:
        stack._engine = await serve_engine(host, port)
    assert result.stream_opened and not result.failures, result.failures
    catalog = stack.crm.shops.catalog()
    assert result.dialled == handoff.targets(catalog.shop, catalog.settings)[0]
    assert result.dial_statuses == ["completed"]
    # from the stream opening to the bridge's "connecting you" (its REST redirect): <= ~3 s
    opened = next(e.ms for e in result.events if e.kind == "stream_started")
    handed = next(t.ms for t in result.turns if t.role == "twiml" and t.ms > opened)
    assert (handed - opened) / SPEED <= 3000, (opened, handed)  # the bridge's wall-clock time


HANDOFF_STEPS = [GREETED, {"type": "say", "text": "Can I talk to a real person please?"}]


async def test_handoff_answered_connects_the_caller_to_a_person(stack):
    result = await _place(
        stack, _scenario("handoff-answered", [*HANDOFF_STEPS, {"type": "wait_for_agent"}])
    )
    assert not result.failures, result.failures
    # the <Dial action> route answers the finished dial with an empty document: the call is over
    assert result.dial_statuses == ["completed"] and result.ended_by == "twiml_end"
    assert stack.crm.calls.get(result.call_sid).outcome == "handed_off"


async def test_handoff_unanswered_comes_back_to_the_agent_which_takes_a_message(stack):
    """Every handoff number busy: the caller is back with the agent on a new stream (the call so
    far replayed, not answered again), which offers a message; the caller leaves one."""
    before = {m.message_id for m in stack.crm.messages.list(None)}
    steps = [
        *HANDOFF_STEPS,
        {"type": "wait_for_agent"},
        {"type": "wait_for_agent", "expect": "nobody could pick up.*take a message"},
        {"type": "say", "text": "Yes please ask them to call me back about my car."},
        {"type": "wait_for_agent", "expect": "call you back"},
        {"type": "say", "text": "No thanks, goodbye."},
        {"type": "wait_for_agent", "quiet_ms": 600},
    ]
    result = await _place(stack, _scenario("handoff-busy", steps, shop_line="busy"))
    assert not result.failures, result.failures
    assert set(result.dial_statuses) == {"busy"}  # each handoff number, in turn
    assert result.streams == 2  # back with the agent after nobody picked up
    message = _new_message(stack, before)
    assert (message.call_sid, message.about) == (result.call_sid, "my car")
    assert stack.crm.calls.get(result.call_sid).outcome == "message_taken"


async def test_after_hours_handoff_takes_a_message_through_the_agent(stack):
    """The shop is closed: asked for a person, the agent says so and offers a message; the
    caller leaves one. It is in the CRM, the advisor is texted, and the record says how."""
    before = {m.message_id for m in stack.crm.messages.list(None)}
    outbox = len(read_outbox(stack.outbox_path))
    steps = [
        *HANDOFF_STEPS,
        {"type": "wait_for_agent", "expect": "closed.*take a message"},
        {"type": "say", "text": "Yes please ask them to call me back about my brakes."},
        {"type": "wait_for_agent", "expect": "call you back"},
        {"type": "say", "text": "No thanks, goodbye."},
        {"type": "wait_for_agent", "quiet_ms": 600},
    ]
    async with _shop(stack, open_now=False):
        result = await _place(stack, _scenario("after-hours-message", steps))
    assert not result.failures, result.failures
    assert result.dialled is None and result.streams == 1  # nobody rung, no rescue needed
    message = _new_message(stack, before)
    assert (message.call_sid, message.customer_id) == (result.call_sid, "cus_demo0001")
    assert (message.caller_name, message.about) == ("Alex Morgan", "my brakes")
    assert message.callback_number == CALLER
    texts = [e for e in read_outbox(stack.outbox_path)[outbox:] if e["kind"] == "sms"]
    advisor = stack.crm.shops.catalog().settings.advisor_number
    assert [e["to"] for e in texts] == [advisor] and "my brakes" in texts[0]["body"]
    record = stack.crm.calls.get(result.call_sid)
    assert record.outcome == "message_taken" and record.message_id == message.message_id
    assert record.handoff_reason == "after hours: caller asked for a person"


async def test_model_failover_keeps_the_call_on_the_fallback_model_and_books(stack):
    """The first Realtime model cannot be opened: the caller hears the agent on the fallback
    model (no handoff) and books; the record names the model and the failover is counted."""
    counted = stack.watch_metrics()
    catalog = stack.crm.shops.catalog()
    steps = [
        {"type": "wait_for_agent", "expect": "help you", "timeout_ms": 20_000},
        {"type": "say", "text": "I'd like to book an oil change for {workday2} afternoon."},
        {"type": "wait_for_agent", "expect": "shall i book"},
        {"type": "say", "text": "Yes, that works."},
        {"type": "wait_for_agent", "expect": "anything else"},
        {"type": "say", "text": "No thanks, goodbye."},
        {"type": "wait_for_agent", "quiet_ms": 600},
    ]
    async with engine_with_rules(stack, refuse_models=frozenset({catalog.settings.model})):
        result = await _place(stack, _scenario("model-failover", steps))
    assert not result.failures, result.failures
    assert result.dialled is None and result.streams == 1
    record = stack.crm.calls.get(result.call_sid)
    assert record.outcome == "booked"
    await counted.flushed()
    assert counted.count("ModelFailovers") == 1
    assert record.realtime_model == catalog.settings.fallback_model
