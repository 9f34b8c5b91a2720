"""The per-call token ceiling, through the whole local stack: past it the agent wraps up and
offers a message or a person; still going past 1.25x, the call is handed to a person.

The ceiling is set at its lowest (1000 tokens): the offline engine bills the session's
instructions with every response, so the greeting alone goes past it.
"""

from __future__ import annotations

import pytest

from media_bridge.budget import HANDOFF_REASON
from pitstop.models import CallOutcome
from pitstop_local.simulator.scenario import Scenario
from tests.e2e.conftest import render

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CALLER = "+15557770452"  # nobody the seed knows and no other row calls


@pytest.fixture
def tight_budget(stack):
    before = stack.crm.shops.settings()
    stack.crm.shops.put_settings(before.model_copy(update={"max_tokens_per_call": 1000}))
    yield
    stack.crm.shops.put_settings(before)


async def test_past_the_ceiling_the_agent_wraps_up_then_hands_off(stack, tight_budget):
    steps: list[dict] = [{"type": "wait_for_agent", "quiet_ms": 900, "timeout_ms": 20_000}]
    scenario = Scenario.model_validate({"name": "budget", "from": CALLER, "steps": steps})
    counted = stack.watch_metrics()
    result = await stack.simulator(speed=2.0).call(render(stack, scenario, CALLER))
    await stack.call_finished(result.call_sid)
    await counted.flushed()
    assert [b["step"] for b in counted.blobs("TokenBudgetReached")] == ["wrap_up", "handoff"]
    said = " ".join(result.said("agent")).lower()
    assert "message" in said, said  # the wrap-up offered a message before the handoff
    record = stack.crm.calls.get(result.call_sid)
    assert record.outcome == CallOutcome.HANDED_OFF
    assert record.handoff_reason == HANDOFF_REASON
    assert record.usage["input_text"] + record.usage["output_audio"] >= 1250
