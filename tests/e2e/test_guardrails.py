"""What the agent must never say, through the whole local stack: simulated Twilio → webhook →
bridge → offline engine (strict) → tools → moto DynamoDB.

The engine is made to say a prohibited sentence in place of its offer (`EngineRules.say`); the
bridge catches the phrase on the transcript, which leads the audio, and stops it. What the
caller heard is the simulator's agent channel (audio a `clear` dropped never played), run
through the offline recogniser.
"""

from __future__ import annotations

import pytest

from pitstop_local.simulator.recording import agent_heard
from pitstop_local.simulator.scenario import Scenario
from tests.e2e.conftest import SPEED, engine_with_rules, render

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]

CALLER = "+15551230001"  # the seeded demo customer
PROHIBITED = "Your car is guaranteed to pass inspection."
#: The lookup, the greeting, then the answer to the caller's request ("Let me check…" and the
#: search): that answer is the prohibited sentence instead.
ANSWER = 3


async def test_a_prohibited_sentence_never_reaches_the_caller(stack):
    counted = stack.watch_metrics()
    steps = [
        {"type": "wait_for_agent", "expect": "help you", "timeout_ms": 20_000},
        # (the model-failover row books this caller's car for {workday2} afternoon)
        {"type": "say", "text": "I'd like to book an oil change for {workday2} morning."},
        {"type": "wait_for_agent", "expect": "shall i book"},
        {"type": "say", "text": "Yes, that works."},
        {"type": "wait_for_agent", "expect": "anything else"},
        {"type": "say", "text": "No thanks, goodbye."},
        {"type": "wait_for_agent", "quiet_ms": 600},
    ]
    scenario = Scenario.model_validate({"name": "guardrail", "from": CALLER, "steps": steps})
    async with engine_with_rules(stack, say={ANSWER: PROHIBITED}):
        sim = stack.simulator(speed=SPEED)
        result = await sim.call(render(stack, scenario, CALLER))
        await stack.call_finished(result.call_sid)
    assert not result.failures, result.failures
    # the hit, counted per phrase
    assert [blob["phrase"] for blob in counted.blobs("ProhibitedPhrases")] == ["guaranteed"]
    said = result.said("agent")
    assert not any("guaranteed" in t for t in said), said  # nor in the call's transcript
    heard = agent_heard(result, [*said, PROHIBITED])
    assert not any("guaranteed" in h or "inspection" in h for h in heard), heard
    # the answer, said again without the phrase, came instead; and the call went on from there
    # (the engine re-answers from where it stands: "Let me check …" or straight to the offer)
    assert any(t.startswith(("Let me check", "The first opening is")) for t in said), said
    assert stack.crm.calls.get(result.call_sid).outcome == "booked"
