"""The bridge over real WebSockets: fake Twilio ⇄ bridge ⇄ fake Realtime (protocol-validated)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from pitstop.models import AgentSettings
from tests.integration.bridge.conftest import CUSTOMER, SHOP_PHONE, STREAM_KEY
from tests.integration.bridge.fakes import FakeTools, FakeTwilio, ulaw_frame
from tests.integration.bridge.fakes import RealtimeEvents as E

USAGE = {
    "total_tokens": 300,
    "input_tokens": 200,
    "output_tokens": 100,
    "input_token_details": {
        "text_tokens": 150,
        "audio_tokens": 50,
        "cached_tokens": 100,
        "cached_tokens_details": {"text_tokens": 100, "audio_tokens": 0},
    },
    "output_token_details": {"text_tokens": 20, "audio_tokens": 80},
}


async def play(call, response_id: str | None, item_id: str, frames: list[str]) -> list[str]:
    """The agent speaks `frames` in a response (None: the one the server started on request,
    else a new one the test scripts, as server VAD does); returns the marks sent after each."""
    if response_id is None:
        response_id = call.rt.active
    else:
        await call.rt.send(E.response_created(response_id))
    marks = []
    for frame in frames:
        await call.rt.send(E.audio_delta(response_id, item_id, frame))
        media = await call.twilio.received.take("media")
        assert media["media"]["payload"] == frame
        marks.append((await call.twilio.received.take("mark"))["mark"]["name"])
    return marks


async def test_invalid_token_is_refused_with_1008_and_nothing_opens_upstream(bridge, realtime):
    twilio = await FakeTwilio(bridge.url, token="123.forged", key=STREAM_KEY).open()
    assert await twilio.wait_closed() == 1008
    # A token for another call is refused too.
    other = FakeTwilio(bridge.url, key=STREAM_KEY)
    other.params["token"] = FakeTwilio(bridge.url, key=STREAM_KEY).params["token"]
    await other.open()
    assert await other.wait_closed() == 1008
    assert realtime.all == [] and realtime.connections.empty()
    assert bridge.live_calls == 0


async def test_greeting_configures_pcmu_session_then_agent_speaks_first(
    bridge, realtime, call_factory
):
    call = await call_factory(bridge)
    session = call.session_update["session"]
    assert session["type"] == "realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"]["voice"] == "cedar"  # from the agent settings in DynamoDB
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert session["audio"]["input"]["transcription"]["model"]
    assert {t["name"] for t in session["tools"]} >= {"request_operator_handoff", "end_call"}
    assert "AI assistant" in session["instructions"]
    assert "Test Garage" in session["instructions"] and "Alex Morgan" in session["instructions"]
    assert call.rt.path.startswith("/v1/realtime?model=gpt-realtime")
    assert call.rt.headers["Authorization"] == "Bearer sk-test"
    # session.update strictly before the greeting's response.create
    kinds = [e["type"] for e in call.rt.received.items]
    assert kinds.index("session.update") < kinds.index("response.create")
    async with httpx.AsyncClient() as http:
        health = await http.get(bridge.health_url)
    assert health.status_code == 200 and health.json() == {"status": "ok", "live_calls": 1}


async def test_audio_relay_is_byte_exact_both_ways(bridge, realtime, call_factory):
    call = await call_factory(bridge)
    inbound = [ulaw_frame(i) for i in range(20)]
    for frame in inbound:
        await call.twilio.media(frame)
    appends = [await call.rt.received.take("input_audio_buffer.append") for _ in inbound]
    assert [a["audio"] for a in appends] == inbound
    outbound = [ulaw_frame(100 + i, nbytes=480) for i in range(10)]
    marks = await play(call, "resp_1", "item_a", outbound)
    assert len(set(marks)) == len(outbound)  # a distinct mark after every chunk
    assert b"".join(
        base64.b64decode(m["media"]["payload"]) for m in call.twilio.received.of("media")
    ) == b"".join(base64.b64decode(f) for f in outbound)
    assert all(m["streamSid"] == call.twilio.stream_sid for m in call.twilio.received.items)


async def test_frames_in_another_json_layout_are_relayed_the_same(bridge, realtime, call_factory):
    """Only the services' compact layout takes the hot path; spaced, reordered or escaped
    JSON is parsed whole and relayed just the same."""
    call = await call_factory(bridge)
    frame = base64.b64encode(b"\xff" * 160).decode()  # all "/": escapable in JSON as "\\/"
    sid = call.twilio.stream_sid
    await call.twilio.send_raw(
        json.dumps({"media": {"payload": frame}, "event": "media", "streamSid": sid})
    )
    escaped = frame.replace("/", "\\/")
    await call.twilio.send_raw(f'{{"event":"media","media":{{"payload":"{escaped}"}}}}')
    appends = [await call.rt.received.take("input_audio_buffer.append") for _ in range(2)]
    assert [a["audio"] for a in appends] == [frame, frame]
    await call.rt.send(E.response_created("resp_1"))
    await call.rt.send_raw(json.dumps(E.audio_delta("resp_1", "item_a", frame), indent=1))
    media = await call.twilio.received.take("media")
    assert media["media"]["payload"] == frame
    assert (await call.twilio.received.take("mark"))["mark"]["name"]


async def test_barge_in_clears_twilio_and_truncates_to_what_was_heard(
    bridge, realtime, call_factory
):
    call = await call_factory(bridge)
    frames = [ulaw_frame(i) for i in range(5)]  # 5 x 20 ms
    marks = await play(call, "resp_1", "item_a", frames)
    await call.twilio.ack_mark(marks[0])
    await call.twilio.ack_mark(marks[1])  # the caller has heard 40 ms
    await call.twilio.media(ulaw_frame(99))  # a round trip: the acks have been processed
    await call.rt.received.take("input_audio_buffer.append")
    await call.rt.send(E.speech_started())
    clear = await call.twilio.received.take("clear")
    assert clear["streamSid"] == call.twilio.stream_sid
    truncate = await call.rt.received.take("conversation.item.truncate")
    heard = truncate.pop("audio_end_ms")
    assert truncate == {
        "type": "conversation.item.truncate",
        "item_id": "item_a",
        "content_index": 0,
    }
    assert 40 <= heard <= 100  # the marks, plus the time since: never more than was sent
    await call.rt.send(E.response_done("resp_1", status="cancelled"))  # server VAD cancels it
    # Twilio echoes the cleared marks; late audio of the interrupted item is dropped.
    for name in marks[2:]:
        await call.twilio.ack_mark(name)
    await call.rt.send(E.audio_delta("resp_1", "item_a", ulaw_frame(50)))
    marks2 = await play(call, "resp_2", "item_b", [ulaw_frame(60)])
    assert [m["media"]["payload"] for m in call.twilio.received.of("media")][-1] == ulaw_frame(60)
    assert ulaw_frame(50) not in [m["media"]["payload"] for m in call.twilio.received.of("media")]
    # Speech while nothing is playing: no clear, no truncate.
    await call.twilio.ack_mark(marks2[0])
    await call.twilio.media(ulaw_frame(98))
    await call.rt.received.take(
        lambda e: e["type"] == "input_audio_buffer.append" and e["audio"] == ulaw_frame(98)
    )
    await call.rt.send(E.speech_started())
    await call.twilio.media(ulaw_frame(97))
    await call.rt.received.take(
        lambda e: e["type"] == "input_audio_buffer.append" and e["audio"] == ulaw_frame(97)
    )
    assert len(call.twilio.received.of("clear")) == 1
    assert len(call.rt.received.of("conversation.item.truncate")) == 1


async def test_two_tool_calls_in_one_response_run_concurrently_then_one_response_create(
    make_bridge, realtime, call_factory
):
    both_running = asyncio.Event()
    running = set()

    async def slow(arguments):
        running.add(arguments["n"])
        if len(running) == 2:
            both_running.set()
        await asyncio.wait_for(both_running.wait(), 3)  # only completes if both run at once
        return {"ok": True, "n": arguments["n"]}

    tools = FakeTools({"lookup_customer": slow, "check_availability": slow})
    bridge = await make_bridge(tools=tools)
    call = await call_factory(bridge)
    await call.rt.send(E.response_created("resp_t"))
    await call.rt.send(E.function_call_done("resp_t", "call_1", "lookup_customer", {"n": 1}))
    await call.rt.send(E.function_call_done("resp_t", "call_2", "check_availability", {"n": 2}))
    await call.rt.send(E.response_done("resp_t"))
    outputs = [
        await call.rt.received.take(
            lambda e: (
                e["type"] == "conversation.item.create"
                and e["item"]["type"] == "function_call_output"
            )
        )
        for _ in range(2)
    ]
    assert {o["item"]["call_id"] for o in outputs} == {"call_1", "call_2"}
    await call.rt.received.take("response.create")
    # Exactly one response.create for the batch: the greeting's and this one, nothing more.
    await call.twilio.media(ulaw_frame(1))
    await call.rt.received.take("input_audio_buffer.append")
    assert len(call.rt.received.of("response.create")) == 2
    kinds = [e["type"] for e in call.rt.received.items]
    last_output = max(i for i, e in enumerate(call.rt.received.items) if e in outputs)
    assert kinds.index("response.create", 2) > last_output
    assert [c[2]["call_sid"] for c in tools.calls] == [call.twilio.call_sid] * 2


async def test_failed_and_slow_tools_give_the_model_an_error_result(
    make_bridge, realtime, call_factory
):
    async def boom(arguments):
        raise RuntimeError("database down")

    async def hang(arguments):
        await asyncio.Event().wait()

    bridge = await make_bridge(
        tools=FakeTools({"lookup_customer": boom, "check_availability": hang}), tool_timeout=0.2
    )
    call = await call_factory(bridge)
    await call.rt.send(E.function_call_done("resp_x", "c1", "lookup_customer", {}))
    await call.rt.send(E.function_call_done("resp_x", "c2", "check_availability", {}))
    await call.rt.send(E.response_done("resp_x"))
    outputs = {}
    for _ in range(2):
        event = await call.rt.received.take(lambda e: e["type"] == "conversation.item.create")
        outputs[event["item"]["call_id"]] = event["item"]["output"]
    assert '"ok":false' in outputs["c1"] and "tool_failed" in outputs["c1"]
    assert "tool_timeout" in outputs["c2"]
    await call.rt.received.take("response.create")


async def test_handoff_redirects_the_live_call_to_the_shop(
    bridge, realtime, telephony, crm, call_factory
):
    call = await call_factory(bridge)
    marks = await play(call, "resp_h", "item_h", [ulaw_frame(1)])  # "let me connect you"
    await call.rt.send(
        E.function_call_done(
            "resp_h", "c1", "request_operator_handoff", {"reason": "wants a person"}
        )
    )
    await call.rt.send(E.response_done("resp_h"))
    await call.rt.received.take(lambda e: e["type"] == "conversation.item.create")
    await call.twilio.ack_mark(marks[0])
    _, _, twiml = await telephony.wait_for("redirect", call.twilio.call_sid)
    assert "<Dial" in twiml and SHOP_PHONE in twiml and "<Say>" in twiml
    await call.twilio.stop()  # Twilio ends the stream once the call is redirected
    await call.twilio.wait_closed()
    record = await asyncio.to_thread(crm.calls.get, call.twilio.call_sid)
    assert record.outcome == "handed_off" and record.handoff_reason == "wants a person"


async def test_end_call_waits_for_the_last_mark_then_hangs_up(
    bridge, realtime, telephony, call_factory
):
    call = await call_factory(bridge)
    marks = await play(call, "resp_e", "item_e", [ulaw_frame(1), ulaw_frame(2)])  # the goodbye
    await call.rt.send(E.function_call_done("resp_e", "c1", "end_call", {}))
    await call.rt.send(E.response_done("resp_e"))
    await call.rt.received.take(lambda e: e["type"] == "conversation.item.create")
    await call.twilio.ack_mark(marks[0])
    with pytest.raises(AssertionError):  # the goodbye is still playing: no hang-up yet
        await telephony.wait_for("end_call", call.twilio.call_sid, timeout=0.3)
    await call.twilio.ack_mark(marks[1])
    await telephony.wait_for("end_call", call.twilio.call_sid)
    assert not [e for e in call.rt.received.items[2:] if e["type"] == "response.create"]


async def test_end_call_without_a_spoken_goodbye_asks_for_one_first(
    bridge, realtime, telephony, call_factory
):
    call = await call_factory(bridge)
    await call.rt.send(E.function_call_done("resp_e", "c1", "end_call", {}))
    await call.rt.send(E.response_done("resp_e"))
    goodbye = await call.rt.received.take("response.create")
    assert "goodbye" in goodbye["response"]["instructions"]
    await call.rt.next_response()
    marks = await play(call, None, "item_bye", [ulaw_frame(3)])
    await call.rt.finish()
    await call.twilio.ack_mark(marks[0])
    await telephony.wait_for("end_call", call.twilio.call_sid)


async def test_reconnect_restores_the_session_and_conversation(bridge, realtime, call_factory):
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("item_u1", "I need an oil change"))
    await call.rt.send(E.agent_transcript("resp_1", "item_a1", "Sure, which day suits you?"))
    await call.twilio.media(ulaw_frame(1))
    await call.rt.received.take("input_audio_buffer.append")
    await call.rt.drop()
    second = await realtime.next_connection()
    update = await second.received.take("session.update")
    assert update == call.session_update
    user = await second.received.take(
        lambda e: e["type"] == "conversation.item.create" and e["item"]["role"] == "user"
    )
    assert user["item"]["content"][0]["text"] == "I need an oil change"
    agent = await second.received.take(
        lambda e: e["type"] == "conversation.item.create" and e["item"]["role"] == "assistant"
    )
    assert agent["item"]["content"] == [
        {"type": "output_text", "text": "Sure, which day suits you?"}
    ]
    await second.received.take("response.create")
    # The call carries on over the new link, both ways.
    await call.twilio.media(ulaw_frame(2))
    append = await second.received.take("input_audio_buffer.append")
    assert append["audio"] == ulaw_frame(2)
    call.rt = second
    await second.next_response()
    await play(call, None, "item_2", [ulaw_frame(3)])
    assert bridge.live_calls == 1


async def test_realtime_unreachable_hands_the_call_to_a_person(bridge, realtime, telephony):
    realtime.refuse = 6  # both models, every attempt
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY, calls=bridge.runtime.crm.calls).open()
    _, _, twiml = await telephony.wait_for("redirect", twilio.call_sid)
    assert SHOP_PHONE in twiml
    await twilio.close()


async def test_garbage_on_one_call_never_disturbs_another(bridge, realtime, call_factory):
    good = await call_factory(bridge)
    bad = await call_factory(bridge)
    await bad.twilio.send_raw(b"\x00\xff binary")
    await bad.twilio.send_raw("{not json")
    await bad.twilio.send_raw('{"event": "media", "media": {"payload": "\\"quote\\""}}')
    await bad.twilio.send_raw('["event"]')
    await bad.twilio.send({"event": "mark"})
    await bad.twilio.media(ulaw_frame(7))  # the bad call itself survives garbage
    assert (await bad.rt.received.take("input_audio_buffer.append"))["audio"] == ulaw_frame(7)
    await good.rt.send(E.audio_delta("r", "i", "not base64 !!"))  # garbage from upstream too
    await bad.twilio.send_raw("x" * 200_000)  # oversized: ends that call only (1009)
    assert await bad.twilio.wait_closed() == 1009
    for i in range(5):
        await good.twilio.media(ulaw_frame(i))
        assert (await good.rt.received.take("input_audio_buffer.append"))["audio"] == ulaw_frame(i)
    await play(good, "r2", "i2", [ulaw_frame(11)])
    await bad.rt.closed.wait()
    async with asyncio.timeout(5):
        await bridge.wait_live_calls(1)
    assert bridge.live_calls == 1 and not good.twilio.closed.is_set()


async def test_a_realtime_error_is_logged_by_its_fields_and_the_call_carries_on(
    bridge, realtime, call_factory, caplog
):
    call = await call_factory(bridge)
    await call.rt.send(E.error("Audio content of 0ms is too short.", code="buffer_too_small"))
    await play(call, "resp_1", "item_1", [ulaw_frame(1)])  # a round trip: the error was handled
    [record] = [r for r in caplog.records if r.getMessage() == "realtime error"]
    assert record.error_code == "buffer_too_small"
    assert record.error_type == "invalid_request_error"
    assert record.error_message == "Audio content of 0ms is too short."
    assert not [r for r in caplog.records if r.getMessage() == "failed to handle a realtime event"]


async def test_dtmf_reaches_the_model_as_caller_input(bridge, realtime, call_factory):
    call = await call_factory(bridge)
    await call.twilio.dtmf("7")
    await call.twilio.dtmf("#")
    item = await call.rt.received.take("conversation.item.create")
    assert item["item"]["role"] == "user" and "entered 7 on" in item["item"]["content"][0]["text"]
    await call.rt.received.take("response.create")


async def test_escalation_words_prompt_the_agent_to_offer_a_person(bridge, realtime, call_factory):
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("u1", "This is ridiculous, get me your Manager"))
    hint = await call.rt.received.take("conversation.item.create")
    assert (
        hint["item"]["role"] == "system"
        and "offer to connect" in hint["item"]["content"][0]["text"]
    )


async def test_call_record_has_outcome_turns_tools_and_usage(bridge, realtime, crm, call_factory):
    call = await call_factory(bridge)
    await call.rt.send(E.caller_transcript("u1", "Can I book an oil change?"))
    await call.rt.send(E.agent_transcript("r1", "a1", "Of course. Tuesday at nine?"))
    await call.rt.send(E.function_call_done("r1", "c1", "lookup_customer", {}))
    await call.rt.send(E.response_done("r1", USAGE))
    await call.rt.received.take("response.create")
    await call.twilio.stop()
    async with asyncio.timeout(5):
        await bridge.wait_call_finished(call.twilio.call_sid)
    record = await asyncio.to_thread(crm.calls.get, call.twilio.call_sid)
    assert record.outcome == "caller_hung_up"
    assert record.usage["output_audio"] == 80 and record.usage["input_text"] == 150
    # Usage, not dollars: the after-call cost prices it from the shop's price table.
    assert record.usage["cached_text"] == 100 and record.usage["input_audio"] == 50
    assert record.ended_at is not None and record.customer_id == CUSTOMER.customer_id
    turns = await asyncio.to_thread(crm.calls.transcript, call.twilio.call_sid)
    assert [(t.role, t.text) for t in turns] == [
        ("caller", "Can I book an oil change?"),
        ("agent", "Of course. Tuesday at nine?"),
    ]
    tools = await asyncio.to_thread(crm.calls.tool_calls, call.twilio.call_sid)
    assert [t.name for t in tools] == ["lookup_customer"] and tools[0].latency_ms >= 0


async def test_sigterm_drain_lets_calls_finish_then_hands_off_the_rest(
    bridge, realtime, telephony, call_factory
):
    finishing = await call_factory(bridge)
    staying = await call_factory(bridge)
    drain = asyncio.create_task(bridge.drain(deadline_seconds=1.0))
    async with httpx.AsyncClient() as http:

        async def unhealthy():  # each probe is a real request: it waits on the bridge
            response = await http.get(bridge.health_url)
            while response.status_code != 503:
                response = await http.get(bridge.health_url)

        await asyncio.wait_for(unhealthy(), 5)
        health = (await http.get(bridge.health_url)).json()
    assert health == {"status": "draining", "live_calls": 2}
    with pytest.raises(InvalidStatus):  # no new streams while draining
        await FakeTwilio(bridge.url, key=STREAM_KEY, calls=bridge.runtime.crm.calls).open()
    # One call finishes by itself during the drain; it is not handed off.
    await finishing.twilio.media(ulaw_frame(1))
    await finishing.rt.received.take("input_audio_buffer.append")
    await finishing.twilio.stop()
    await finishing.twilio.wait_closed()
    # The other is still live at the deadline: handed to a person, not cut off.
    _, _, twiml = await telephony.wait_for("redirect", staying.twilio.call_sid)
    assert SHOP_PHONE in twiml
    assert not [c for c in telephony.calls if c[1] == finishing.twilio.call_sid]
    await staying.twilio.stop()
    await asyncio.wait_for(drain, 10)
    assert bridge.live_calls == 0


async def test_silence_ends_the_call_politely_with_settings_read_per_call(
    bridge, realtime, telephony, crm, call_factory
):
    # Changed in DynamoDB after the bridge started: the next call uses it, no restart.
    await asyncio.to_thread(
        crm.shops.put_settings,
        AgentSettings(persona_name="Sam", voice="marin", silence_timeout_seconds=1),
    )
    call = await call_factory(bridge)
    assert "Sam" in call.session_update["session"]["instructions"]
    nudge = await call.rt.received.take("response.create")  # after ~1 s of silence
    assert "still there" in nudge["response"]["instructions"]
    await call.rt.next_response()
    marks = await play(call, None, "item_nudge", [ulaw_frame(2)])
    await call.rt.finish()
    await call.twilio.ack_mark(marks[0])
    goodbye = await call.rt.received.take("response.create")  # ~1 s more of silence
    assert "silent" in goodbye["response"]["instructions"]
    await call.rt.next_response()
    marks = await play(call, None, "item_bye", [ulaw_frame(1)])
    await call.rt.finish()
    await call.twilio.ack_mark(marks[0])
    await telephony.wait_for("end_call", call.twilio.call_sid)


async def test_a_caller_who_answers_the_nudge_is_not_hung_up_on(
    bridge, realtime, telephony, crm, call_factory
):
    await asyncio.to_thread(crm.shops.put_settings, AgentSettings(silence_timeout_seconds=1))
    call = await call_factory(bridge)
    nudge = await call.rt.received.take("response.create")
    assert "still there" in nudge["response"]["instructions"]
    await call.rt.next_response()
    await call.rt.finish()
    await call.rt.send(E.caller_transcript("u1", "Yes, sorry, still here"))
    # A new silence after the caller spoke: asked again, not ended.
    again = await call.rt.received.take("response.create")
    assert "still there" in again["response"]["instructions"]
    assert not [c for c in telephony.calls if c[1] == call.twilio.call_sid]


async def test_maximum_call_length_ends_the_call_politely(
    bridge, realtime, telephony, crm, call_factory
):
    await asyncio.to_thread(crm.shops.put_settings, AgentSettings(max_call_seconds=1))
    call = await call_factory(bridge)
    goodbye = await call.rt.received.take("response.create")
    assert "time limit" in goodbye["response"]["instructions"]
    await call.rt.finish()
    await telephony.wait_for("end_call", call.twilio.call_sid)


async def test_the_bridge_tells_the_webhook_it_is_alive(bridge, crm):
    async def alive() -> bool | None:
        return await asyncio.to_thread(crm.heartbeats.alive, datetime.now(UTC))

    async with asyncio.timeout(5):
        while await alive() is not True:  # each probe is a real DynamoDB read
            pass
    assert await alive() is True
