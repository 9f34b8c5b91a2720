"""Per-call latency: the greeting's wait, each response's wait after the caller stopped."""

from __future__ import annotations

from media_bridge.latency import LatencyMeter, stats


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def wait(self, ms: float) -> None:
        self.now += ms / 1000


def test_greeting_and_responses_are_timed_from_start_and_from_the_end_of_speech():
    clock = Clock()
    meter = LatencyMeter(clock(), clock=clock)
    clock.wait(850)
    meter.agent_audio()  # the greeting's first audio
    clock.wait(40)
    meter.agent_audio()  # more of it: nothing new is measured
    for wait_ms in (700, 1200, 500):
        meter.speech_started()
        clock.wait(1500)
        meter.speech_stopped()
        clock.wait(wait_ms)
        meter.agent_audio()
        clock.wait(20)
        meter.agent_audio()
    summary = meter.summary([120.0, 80.0])
    assert summary.greeting_ms == 850
    assert [round(ms) for ms in meter.responses_ms] == [700, 1200, 500]
    assert (summary.response.count, summary.response.p50_ms, summary.response.max_ms) == (
        3,
        700,
        1200,
    )
    assert (summary.tool.count, summary.tool.p50_ms, summary.tool.p95_ms) == (2, 80, 120)


def test_a_caller_who_speaks_again_restarts_the_wait():
    clock = Clock()
    meter = LatencyMeter(clock(), clock=clock)
    meter.speech_stopped()
    clock.wait(300)
    meter.speech_started()  # "…and also": the agent was not being waited for yet
    clock.wait(1000)
    meter.speech_stopped()
    clock.wait(650)
    meter.agent_audio()
    assert [round(ms) for ms in meter.responses_ms] == [650]


def test_agent_audio_without_a_caller_turn_is_no_response_wait():
    clock = Clock()
    meter = LatencyMeter(clock(), clock=clock)
    meter.agent_audio()
    meter.speech_started()
    meter.agent_audio()  # the caller is talking over the agent
    assert meter.responses_ms == [] and meter.summary([]).response is None


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    summary = stats(values)
    assert (summary.count, summary.p50_ms, summary.p95_ms, summary.max_ms) == (100, 50, 95, 100)
    assert stats([]) is None
    one = stats([42.0])
    assert (one.p50_ms, one.p95_ms, one.max_ms) == (42, 42, 42)
