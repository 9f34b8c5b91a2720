"""The call recorder queues writes in order and never blocks the caller's audio."""

from __future__ import annotations

import io
import threading

from media_bridge.call_state import Usage
from media_bridge.latency import LatencyMeter
from media_bridge.observability import BridgeMetrics
from media_bridge.recorder import CallRecorder
from media_bridge.recording import NOT_RECORDING, CallRecording
from pitstop.models import CallLatency, CallOutcome


class SlowCalls:
    """A CallRepository stand-in whose writes block until released (like a slow DynamoDB)."""

    def __init__(self):
        self.release = threading.Event()
        self.writes: list[tuple] = []

    def add_turn(self, call_sid, seq, turn):
        self.release.wait(5)
        self.writes.append(("turn", seq, turn.text))
        return True

    def add_tool_call(self, call_sid, seq, call):
        self.writes.append(("tool", seq, call.name))
        return True

    def finish_stream(self, call_sid, token_id, fields):
        self.writes.append(("finish", token_id, fields["outcome"]))
        self.finished = fields
        return True


def finish(recorder: CallRecorder, recording=NOT_RECORDING, latency=None) -> None:
    recorder.finish(
        outcome=CallOutcome.COMPLETED,
        usage=Usage(output_audio=10),
        handoff_reason=None,
        customer_id=None,
        realtime_model="gpt-realtime",
        on_purpose=False,
        latency=latency or CallLatency(),
        recording=recording,
    )


class Store:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.keys: list[str] = []

    def put(self, key, wav, retention_days):
        if self.fails:
            raise OSError("no bucket")
        self.keys.append(key)


def a_recording(store: Store) -> CallRecording:
    return CallRecording(
        "calls/CA1/MZ1.wav",
        store,
        call_sid="CA1",
        retention_days=90,
        metrics=BridgeMetrics(),
        spool=io.BytesIO(),
    )


async def test_writes_are_queued_in_order_without_waiting_for_the_database():
    calls = SlowCalls()
    recorder = CallRecorder(calls, "CA1", "tok1")
    recorder.turn("caller", "hello")
    recorder.turn("agent", "hello?")  # returns at once although the first write is blocked
    recorder.tool_call("lookup_customer", {}, {"ok": True}, 12.5)
    recorder.turn("agent", "hi")
    finish(recorder)
    assert calls.writes == []
    calls.release.set()
    await recorder.close()
    assert calls.writes == [
        ("turn", 1, "hello"),
        ("turn", 2, "hello?"),
        ("tool", 1, "lookup_customer"),
        ("turn", 3, "hi"),
        ("finish", "tok1", "completed"),
    ]


async def test_without_a_crm_nothing_is_recorded():
    recorder = CallRecorder(None, "CA1", "tok1")
    recorder.turn("caller", "hello")
    await recorder.close()


async def test_the_last_write_links_the_stored_recording_and_carries_the_latency():
    calls, store = SlowCalls(), Store()
    calls.release.set()
    recorder = CallRecorder(calls, "CA1", "tok1")
    recorder.tool_call("lookup_customer", {}, {"ok": True}, 80.0)
    meter = LatencyMeter(0.0, clock=lambda: 0.9)
    meter.agent_audio()
    finish(recorder, a_recording(store), meter.summary(recorder.tool_latencies_ms))
    await recorder.close()
    assert store.keys == ["calls/CA1/MZ1.wav"]
    assert calls.finished["recording_key"] == "calls/CA1/MZ1.wav"
    latency = CallLatency.model_validate(calls.finished["latency"])
    assert latency.greeting_ms == 900 and latency.tool.max_ms == 80


async def test_a_recording_that_cannot_be_stored_leaves_the_rest_of_the_record():
    calls = SlowCalls()
    calls.release.set()
    recorder = CallRecorder(calls, "CA1", "tok1")
    finish(recorder, a_recording(Store(fails=True)))
    await recorder.close()
    assert "recording_key" not in calls.finished
    assert (
        calls.finished["outcome"] == "completed" and calls.finished["usage"]["output_audio"] == 10
    )
