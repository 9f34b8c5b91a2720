"""The call recorder queues writes in order and never blocks the caller's audio."""

from __future__ import annotations

import threading

from media_bridge.call_state import Usage
from media_bridge.recorder import CallRecorder
from pitstop.models import CallOutcome, CallRecord


class SlowCalls:
    """A CallRepository stand-in whose writes block until released (like a slow DynamoDB)."""

    def __init__(self):
        self.release = threading.Event()
        self.writes: list[tuple] = []

    def start(self, record, now):
        self.release.wait(5)
        self.writes.append(("start", record.call_sid))

    def add_turn(self, call_sid, seq, turn):
        self.writes.append(("turn", seq, turn.text))

    def add_tool_call(self, call_sid, seq, call):
        self.writes.append(("tool", seq, call.name))

    def set_fields(self, call_sid, fields):
        self.writes.append(
            ("fields", fields["outcome"], type(fields["estimated_cost_usd"]).__name__)
        )


async def test_writes_are_queued_in_order_without_waiting_for_the_database():
    calls = SlowCalls()
    recorder = CallRecorder(calls, "CA1")
    recorder.start(CallRecord(call_sid="CA1", direction="inbound", customer_number="+15551230001"))
    recorder.turn("caller", "hello")  # returns at once although `start` is still blocked
    recorder.tool_call("lookup_customer", {}, {"ok": True}, 12.5)
    recorder.turn("agent", "hi")
    recorder.finish(
        outcome=CallOutcome.COMPLETED,
        usage=Usage(output_audio=10),
        handoff_reason=None,
        customer_id=None,
    )
    assert calls.writes == []
    calls.release.set()
    await recorder.close()
    assert calls.writes == [
        ("start", "CA1"),
        ("turn", 1, "hello"),
        ("tool", 1, "lookup_customer"),
        ("turn", 2, "hi"),
        ("fields", "completed", "Decimal"),
    ]


async def test_without_a_crm_nothing_is_recorded():
    recorder = CallRecorder(None, "CA1")
    recorder.start(CallRecord(call_sid="CA1", direction="inbound", customer_number="+15551230001"))
    recorder.turn("caller", "hello")
    await recorder.close()
