"""After the call, through the whole local stack: every call gets its summary and its cost
(moto's table stream → the after-call Lambda, as in AWS), and a call the bridge did not carry
is recorded by Twilio when the shop records calls, the recording linked on its record through
the signed recording status callback the simulated Twilio posts."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from pitstop_local.simulator.scenario import Scenario
from tests.e2e.conftest import SPEED, play, render

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

AFTER_CALL_SECONDS = 20
CALLER = "+15551230001"  # the seeded demo customer


async def _summarised(stack, call_sid: str):
    """The call's record once the after-call processing has caught up with the stream."""
    async with asyncio.timeout(AFTER_CALL_SECONDS):
        await stack.after_call.drain()
    return stack.crm.calls.get(call_sid)


@asynccontextmanager
async def _settings(stack, **changes):
    settings = stack.crm.shops.catalog().settings
    stack.crm.shops.put_settings(settings.model_copy(update=changes))
    try:
        yield
    finally:
        stack.crm.shops.put_settings(settings)


async def test_a_call_the_agent_handed_off_has_its_summary_and_cost(stack):
    played = await play(stack, "handoff")
    assert not played.problems, played.problems
    record = await _summarised(stack, played.result.call_sid)
    summary = record.summary
    assert summary is not None and summary.source == "facts"  # the offline stack has no key
    assert summary.caller_wanted == "The caller wanted to speak to a person."
    assert summary.done.startswith("Put the caller through to the shop")
    cost = record.cost
    assert cost is not None and cost.total_usd > 0
    assert cost.twilio_minutes >= 1
    assert cost.total_usd == round(
        cost.realtime_usd + cost.transcription_usd + cost.twilio_usd + cost.sms_usd, 6
    )


async def test_a_fallback_call_is_recorded_by_twilio_and_summarised(stack):
    """The agent switched off: `/voice` answers with the fallback, the shop's line rings."""
    scenario = Scenario.model_validate({"name": "agent-off", "from": CALLER, "steps": []})
    async with _settings(stack, recording_enabled=True, agent_enabled=False):
        result = await stack.simulator(speed=SPEED).call(render(stack, scenario, CALLER))
    assert not result.stream_opened and not result.failures, result.failures
    assert result.dial_statuses == ["completed"]
    [recording_sid] = result.recording_callbacks
    record = await _summarised(stack, result.call_sid)
    assert record.twilio_recording_sid == recording_sid
    assert record.twilio_recording_url == result.recordings[-1]
    assert record.twilio_recording_seconds and record.twilio_recording_seconds > 0
    assert record.summary is not None and record.summary.callback_needed is False
    assert record.cost is not None and record.cost.realtime_usd == 0  # no agent on this call
