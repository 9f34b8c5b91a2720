"""Prohibited phrases (issue 14): caught on the agent's streamed transcript, ahead of its audio;
the caller's line is cleared, the item truncated, the response cancelled and rephrased."""

from __future__ import annotations

import asyncio

from media_bridge.guardrail import Guardrail
from pitstop.models import AgentSettings
from tests.integration.bridge.fakes import RealtimeEvents as E
from tests.integration.bridge.fakes import ulaw_frame


async def test_a_prohibited_phrase_is_cut_before_the_caller_hears_it_and_rephrased(
    make_bridge, realtime, crm, call_factory, caplog
):
    await asyncio.to_thread(
        crm.shops.put_settings,
        AgentSettings(voice="cedar", prohibited_phrases=["Your insurance will cover"]),
    )
    bridge = await make_bridge()
    call = await call_factory(bridge, greeting_done=False)
    rid = call.rt.active
    await call.rt.send(E.audio_delta(rid, "item_p", ulaw_frame(1)))  # "Good news,"
    await call.twilio.received.take("media")
    mark = (await call.twilio.received.take("mark"))["mark"]["name"]
    await call.twilio.ack_mark(mark)
    for piece in ("Good news, your ", "INSURANCE will ", "cover it."):  # split across deltas
        await call.rt.send(E.agent_transcript_delta(rid, "item_p", piece))
    await call.twilio.received.take("clear")
    truncate = await call.rt.received.take("conversation.item.truncate")
    assert truncate["item_id"] == "item_p" and truncate["audio_end_ms"] == 20  # what was heard
    await call.rt.received.take("response.cancel")
    # Audio of the stopped item that still arrives never reaches the caller.
    await call.rt.send(E.audio_delta(rid, "item_p", ulaw_frame(2)))
    rephrase = await call.rt.received.take("response.create")  # once the cancel is done
    assert "Your insurance will cover" in rephrase["response"]["instructions"]
    assert "Test Garage" in rephrase["response"]["instructions"]  # the session's, kept
    assert [m["media"]["payload"] for m in call.twilio.received.of("media")] == [ulaw_frame(1)]
    assert [r for r in caplog.records if r.getMessage() == "prohibited phrase stopped"]


def test_each_item_stops_once_and_phrases_match_across_deltas_case_insensitively():
    guard = Guardrail(["it's definitely the", "guaranteed"])
    assert guard.heard("a", "It's defin") is None
    assert guard.heard("a", "itely THE alternator") == "it's definitely the"
    assert guard.heard("a", " guaranteed") is None  # stopped already
    assert guard.heard("b", "the work is fully guaranteed") == "guaranteed"
    assert Guardrail([]).heard("c", "guaranteed") is None
