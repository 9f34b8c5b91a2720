"""The call recorder queues writes in order and never blocks the caller's audio."""

from __future__ import annotations

import threading

from media_bridge.call_state import Usage
from media_bridge.recorder import CallRecorder
from pitstop.models import CallOutcome


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
        self.writes.append(
            ("finish", token_id, fields["outcome"], type(fields["estimated_cost_usd"]).__name__)
        )
        return True


async def test_writes_are_queued_in_order_without_waiting_for_the_database():
    calls = SlowCalls()
    recorder = CallRecorder(calls, "CA1", "tok1")
    recorder.turn("caller", "hello")
    recorder.turn("agent", "hello?")  # returns at once although the first write is blocked
    recorder.tool_call("lookup_customer", {}, {"ok": True}, 12.5)
    recorder.turn("agent", "hi")
    recorder.finish(
        outcome=CallOutcome.COMPLETED,
        usage=Usage(output_audio=10),
        handoff_reason=None,
        customer_id=None,
        realtime_model="gpt-realtime",
        on_purpose=False,
    )
    assert calls.writes == []
    calls.release.set()
    await recorder.close()
    assert calls.writes == [
        ("turn", 1, "hello"),
        ("turn", 2, "hello?"),
        ("tool", 1, "lookup_customer"),
        ("turn", 3, "hi"),
        ("finish", "tok1", "completed", "Decimal"),
    ]


async def test_without_a_crm_nothing_is_recorded():
    recorder = CallRecorder(None, "CA1", "tok1")
    recorder.turn("caller", "hello")
    await recorder.close()
