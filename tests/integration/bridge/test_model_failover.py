"""A second Realtime model (issue 12): when the first cannot be opened or keeps failing
responses, the call continues on `AgentSettings.fallback_model` before any handoff."""

from __future__ import annotations

from tests.integration.bridge.conftest import STREAM_KEY
from tests.integration.bridge.fakes import FakeTwilio
from tests.integration.bridge.fakes import RealtimeEvents as E


async def test_a_model_that_cannot_be_opened_gives_way_to_the_fallback(bridge, realtime, telephony):
    realtime.refuse = 3  # every attempt on the first model within its connect budget
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY, calls=bridge.runtime.crm.calls).open()
    rt = await realtime.next_connection()
    await rt.received.take("session.update")
    await rt.received.take("response.create")  # the greeting, on the second model
    assert [p.split("model=")[1] for p in realtime.paths] == ["gpt-realtime"] * 3 + [
        "gpt-realtime-mini"
    ]
    assert not [c for c in telephony.calls if c[0] == "redirect"]
    await rt.next_response()
    await rt.finish()
    await twilio.close()


async def test_responses_that_keep_failing_move_the_call_to_the_fallback_with_its_history(
    bridge, realtime, telephony, call_factory
):
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("u1", "I need an oil change"))
    await call.rt.send(E.response_created("resp_f"))
    await call.rt.finish(status="failed")
    for _ in range(2):  # the bounded retries on the first model
        await call.rt.received.take("response.create")
        await call.rt.next_response()
        await call.rt.finish(status="failed")
    second = await realtime.next_connection()
    assert realtime.paths[-1].endswith("model=gpt-realtime-mini")
    assert (await second.received.take("session.update")) == call.session_update
    restored = await second.received.take(
        lambda e: e["type"] == "conversation.item.create" and e["item"]["role"] == "user"
    )
    assert restored["item"]["content"][0]["text"] == "I need an oil change"
    await second.received.take("response.create")
    await second.next_response()
    await second.finish()
    assert not [c for c in telephony.calls if c[0] == "redirect"]
