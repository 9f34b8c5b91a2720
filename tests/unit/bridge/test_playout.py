"""Mark bookkeeping: what the caller has actually heard, per assistant item."""

from __future__ import annotations

import asyncio

from media_bridge.call_state import Playout, Usage
from media_bridge.realtime_events import ResponseUsage


def test_acknowledged_marks_measure_what_was_played():
    playout = Playout()
    names = [playout.sent("item_a", 160) for _ in range(5)]  # 5 x 20 ms
    assert playout.audible
    playout.acked(names[1])  # acknowledges the first two
    assert playout.played_ms("item_a") == 40 and playout.sent_ms("item_a") == 100
    playout.acked(names[4])
    assert not playout.audible
    assert playout.played_ms("item_a") == 100


def test_interrupt_returns_the_part_played_item_then_unheard_ones_and_ignores_late_acks():
    playout = Playout()
    a = [playout.sent("item_a", 160) for _ in range(3)]
    playout.sent("item_b", 800)
    playout.acked(a[0])
    assert playout.interrupt() == [("item_a", 20), ("item_b", 0)]
    assert not playout.audible
    c = playout.sent("item_c", 160)
    playout.acked(a[2])  # Twilio echoes a cleared mark: older than anything pending, ignored
    assert playout.audible and playout.played_ms("item_a") == 20
    playout.acked(b"not-ours")
    playout.acked(c)
    assert not playout.audible and playout.played_ms("item_c") == 20


async def test_drained_waits_for_the_last_mark_or_a_clear():
    playout = Playout()
    await asyncio.wait_for(playout.drained(), 1)  # nothing sent: at once
    names = [playout.sent("item_a", 160) for _ in range(2)]
    waiter = asyncio.ensure_future(playout.drained())
    playout.acked(names[0])
    await asyncio.sleep(0)  # a turn of the loop: the waiter has run up to its wait
    assert not waiter.done()
    playout.acked(names[1])
    await asyncio.wait_for(waiter, 1)
    playout.sent("item_b", 160)
    cleared = asyncio.ensure_future(playout.drained())
    await asyncio.sleep(0)
    assert not cleared.done()
    playout.interrupt()  # a `clear`: nothing is left to hear
    await asyncio.wait_for(cleared, 1)


def test_interrupt_with_nothing_playing_is_empty():
    assert Playout().interrupt() == []


def test_usage_sums_response_done_usage():
    usage = Usage()
    usage.add(
        ResponseUsage.model_validate(
            {
                "input_token_details": {
                    "text_tokens": 10,
                    "audio_tokens": 5,
                    "cached_tokens_details": {"text_tokens": 4},
                },
                "output_token_details": {"text_tokens": 2, "audio_tokens": 7},
            }
        )
    )
    usage.add(None)
    usage.add(ResponseUsage.model_validate({"output_token_details": {"audio_tokens": 3}}))
    assert usage.as_dict() == {
        "input_text": 10,
        "input_audio": 5,
        "cached_text": 4,
        "cached_audio": 0,
        "output_text": 2,
        "output_audio": 10,
        "responses": 2,
        "transcription_input_audio": 0,
        "transcription_input_text": 0,
        "transcription_output_text": 0,
        "transcription_seconds": 0.0,
        "transcriptions": 0,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_heard_counts_wall_clock_time_into_an_800_ms_delta_capped_by_what_was_sent():
    clock = Clock()
    playout = Playout(clock)
    playout.sent("item_a", 6400)  # one 800 ms delta on an idle line: it plays at once
    clock.now += 0.3
    assert playout.heard_ms("item_a") == 300
    clock.now += 2.0
    assert playout.heard_ms("item_a") == 800  # never more than was sent
    assert playout.interrupt() == [("item_a", 800)]


def test_heard_with_20_ms_deltas_runs_on_from_the_last_mark():
    clock = Clock()
    playout = Playout(clock)
    names = [playout.sent("item_a", 160) for _ in range(10)]
    clock.now += 0.5  # Twilio was slow to start: the marks are what count
    playout.acked(names[1])
    assert playout.heard_ms("item_a") == 40
    clock.now += 0.03
    assert playout.heard_ms("item_a") == 70
    playout.acked(b"m1")  # a late, older echo changes nothing
    assert playout.interrupt() == [("item_a", 70)]
