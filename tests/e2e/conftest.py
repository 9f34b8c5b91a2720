"""One local stack for the whole e2e package, and a helper that plays a scenario through it.

The stack's servers run on the package's event loop and its bridge in a child process (as
production runs it), on free ports, seeded with the demo shop. Scenarios use different callers,
so they can run concurrently against the one table without seeing each other's changes. Faults
in the bridge go through the stack (`crash_bridge`, `bridge_paused`, `watch_metrics`), never
into the bridge's internals.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from pitstop import handoff
from pitstop.dal import Crm, keys
from pitstop.dal.after_call import finished_call_sid
from pitstop.dal.call_log import CallLog
from pitstop.models import WEEKDAYS, OpeningHours
from pitstop_local.dev import LocalStack
from pitstop_local.engine import serve_engine
from pitstop_local.simulator import checks
from pitstop_local.simulator.scenario import Scenario, load_scenario
from pitstop_local.simulator.twilio_sim import CallResult

#: Line speed for scenario calls: faster than real time, while the engine's VAD (driven by
#: audio frames, not the wall clock) still segments speech exactly as at 1x.
SPEED = float(os.environ.get("PITSTOP_E2E_SPEED", "2"))
#: The offline engine as strict as OpenAI's GA server (see `pitstop_local.engine.rules`): on
#: unless PITSTOP_ENGINE_STRICT=0 says otherwise. The simulated Twilio is always strict.
ENGINE_STRICT = os.environ.get("PITSTOP_ENGINE_STRICT", "1")


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def stack(tmp_path_factory):
    # Scoped to this package: a leaked variable would change other tests' loggers and metrics.
    # (The bridge child counts its metrics in its own log whatever this says.)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        env.setenv("PITSTOP_ENGINE_STRICT", ENGINE_STRICT)  # read when the engine starts
        # A table of its own: moto's backend is one per process, shared by every stack in it
        # (the browser tests' bookings would otherwise still hold this package's slots).
        table = f"pitstop-{uuid.uuid4().hex[:8]}"
        async with LocalStack(workdir=tmp_path_factory.mktemp("stack"), table=table) as stack:
            open_round_the_clock_today(stack.crm)
            yield stack


#: How long the after-call processing may take to catch up with a test's last write.
AFTER_CALL_SECONDS = 20


@pytest_asyncio.fixture(autouse=True, loop_scope="package")
async def every_finished_call_is_summarised(request) -> AsyncIterator[None]:
    """After each test on the shared stack, every call it finished has its summary and cost
    (issue 16: summaries exist for every e2e call). A call whose bridge was killed before its
    last write is never finished, so it is not asked for one."""
    if "stack" not in request.fixturenames:
        yield
        return
    stack: LocalStack = request.getfixturevalue("stack")
    began = datetime.now(UTC) - timedelta(seconds=1)
    yield
    log, calls = CallLog(stack.crm.table, stack.shop_id), stack.crm.calls
    finished = [
        r.call_sid
        for r in log.started_between(began, datetime.now(UTC))
        if finished_call_sid(_record_item(stack.crm, r.call_sid))
    ]
    async with asyncio.timeout(AFTER_CALL_SECONDS):
        await stack.after_call.drain()  # everything written before this point is processed
    processed = [calls.get(call_sid) for call_sid in finished]
    unsummarised = [r.call_sid for r in processed if r.summary is None or r.cost is None]
    assert not unsummarised, f"finished calls without a summary and cost: {unsummarised}"


def _record_item(crm: Crm, call_sid: str) -> dict:
    """The call record as stored (the after-call processor reads the stream's image of it)."""
    key = keys.item_key(keys.call(call_sid), keys.CALL_RECORD)
    return crm.table.get_item(Key=key)["Item"]


def open_round_the_clock_today(crm: Crm) -> None:
    """The suite runs at any time of day: reminder calls go out only in calling hours, and a
    handoff rings the shop only while it is open. So today is open round the clock (the scenarios
    book from tomorrow on, so the hours they are offered do not move)."""
    shop = crm.shops.catalog().shop
    all_day = OpeningHours(opens=time(0, 0), closes=time(23, 59, 59))
    today = datetime.now(ZoneInfo(shop.timezone)).date()
    crm.shops.put_shop(
        shop.model_copy(
            update={
                "calling_hours": all_day,
                "opening_hours": {**shop.opening_hours, WEEKDAYS[today.weekday()]: all_day},
                "holidays": [d for d in shop.holidays if d != today],
            }
        )
    )


@dataclass
class Played:
    scenario: Scenario
    result: CallResult
    change: checks.Change
    problems: list[str]


def render(stack: LocalStack, scenario: Scenario, caller: str) -> Scenario:
    shop = stack.crm.shops.catalog().shop
    customer_id = stack.crm.customers.id_for_phone(caller)
    name = stack.crm.customers.get(customer_id).name if customer_id else None
    today = datetime.now(ZoneInfo(shop.timezone)).date()
    return scenario.render(today, caller_name=name, is_open=lambda d: shop.hours_on(d) is not None)


async def play(
    stack: LocalStack, name: str, *, speed: float = SPEED, dialled: dict | None = None
) -> Played:
    """Place scenario `name` (inbound, or answering the outbox call `dialled`) and check it."""
    scenario = load_scenario(name)
    caller = dialled["to"] if dialled else scenario.caller
    scenario = render(stack, scenario, caller)
    before = checks.snapshot(stack.crm, caller, stack.outbox_path)
    sim = stack.simulator(speed=speed)
    result = await (sim.answer(scenario, dialled) if dialled else sim.call(scenario))
    if result.stream_opened:
        await stack.call_finished(result.call_sid)
        await sim.refresh_transcript(result)
    change = checks.change_since(stack.crm, before, result.call_sid, stack.outbox_path)
    catalog = stack.crm.shops.catalog()
    handoff_numbers = handoff.targets(catalog.shop, catalog.settings)
    problems = checks.check(scenario.expect, result, change, handoff_numbers)
    return Played(scenario, result, change, problems)


def transcript_text(played: Played) -> str:
    return "\n".join(f"{t.ms:>7} {t.role}: {t.text}" for t in played.result.turns)


@asynccontextmanager
async def engine_with_rules(stack: LocalStack, **rules: object) -> AsyncIterator[None]:
    """The Realtime engine restarted on its port with `rules` changed (a scripted fault or
    sentence, see `pitstop_local.engine.rules`), then restarted as it was."""
    engine = stack._engine
    host, port = engine.sockets[0].getsockname()[:2]
    engine.close()
    await engine.wait_closed()
    changed = engine.rules.model_copy(update=rules)
    stack._engine = await serve_engine(host, port, speech=engine.speech, rules=changed)
    try:
        yield
    finally:
        stack._engine.close()
        await stack._engine.wait_closed()
        stack._engine = await serve_engine(host, port, speech=engine.speech, rules=engine.rules)
