"""The response gate: one response at a time, nothing dropped, a stalled link noticed."""

from __future__ import annotations

import asyncio

from media_bridge.response_gate import ResponseGate


def gate(
    sent: list[dict], stalled: asyncio.Event | None = None, timeout: float = 5.0
) -> ResponseGate:
    stalled = stalled or asyncio.Event()

    async def send(event: dict) -> None:
        sent.append(event)

    return ResponseGate(send, start_timeout=timeout, on_stall=stalled.set)


async def test_requests_wait_for_the_active_response_and_merge_into_one():
    sent: list[dict] = []
    g = gate(sent)
    await g.request()
    await g.created()
    await g.request()
    await g.request("Say goodbye.")
    assert len(sent) == 1
    await g.done()
    assert len(sent) == 2 and sent[1]["response"]["instructions"] == "Say goodbye."
    g.close()


async def test_a_rejected_create_is_sent_again_after_the_active_response():
    sent: list[dict] = []
    g = gate(sent)
    await g.request("Hello.")
    await g.created()  # server VAD's response, not ours
    assert await g.rejected(sent[0]["event_id"], "conversation_already_has_active_response")
    assert len(sent) == 1
    await g.done()
    assert len(sent) == 2 and sent[1]["response"]["instructions"] == "Hello."
    assert sent[1]["event_id"] != sent[0]["event_id"]
    g.close()


async def test_a_create_without_response_created_calls_the_link_dead():
    stalled = asyncio.Event()
    g = gate([], stalled, timeout=0.05)
    await g.request()
    await asyncio.wait_for(stalled.wait(), 2)
    g.close()


async def test_a_rate_limit_holds_the_next_create_until_its_reset():
    sent: list[dict] = []
    g = gate(sent)
    g.hold(0.1)
    await g.request()
    assert sent == []
    assert g._later is not None  # the deferred send: awaited, not polled
    await asyncio.wait_for(g._later, 2)
    assert len(sent) == 1
    g.close()
