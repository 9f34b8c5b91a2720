"""Pricing a call from its record: cached tokens at their own rate, Twilio legs rounded up to
the minute, SMS by segment, an unknown model priced as the default (never as free)."""

from __future__ import annotations

import pytest

from pitstop.costs import DEFAULT_REALTIME, Prices, call_cost, realtime_usd, twilio_minutes
from pitstop.models import CallDirection, CallRecord


def _record(**fields) -> CallRecord:
    return CallRecord(
        call_sid="CA1", direction=CallDirection.INBOUND, customer_number="+15551230001", **fields
    )


def test_cached_tokens_are_billed_at_the_cached_rate_not_twice():
    prices = DEFAULT_REALTIME["gpt-realtime"]
    usage = {"input_audio": 1_000_000, "cached_audio": 1_000_000}
    assert realtime_usd(usage, prices) == pytest.approx(0.40)
    usage = {"input_text": 2_000_000, "cached_text": 500_000, "output_audio": 1_000_000}
    assert realtime_usd(usage, prices) == pytest.approx(1.5 * 4.00 + 0.5 * 0.40 + 64.00)


def test_twilio_legs_are_rounded_up_per_leg():
    assert twilio_minutes(_record(duration_seconds=61)) == (2, 0)
    assert twilio_minutes(_record(duration_seconds=60, handoff_seconds=1)) == (1, 1)
    reminder = _record(duration_seconds=30).model_copy(update={"direction": CallDirection.REMINDER})
    assert twilio_minutes(reminder) == (0, 1)
    assert twilio_minutes(_record()) == (0, 0)


def test_the_whole_cost_and_its_parts():
    prices = Prices()
    record = _record(
        duration_seconds=125,
        handoff_seconds=30,
        sms_segments=3,
        realtime_model="gpt-realtime-mini",
        usage={
            "output_audio": 100_000,
            "transcription_input_audio": 50_000,
            "transcription_seconds": 30,
        },
    )
    cost = call_cost(record, prices, prices_version=4)
    assert cost.realtime_usd == pytest.approx(100_000 * 20.00 / 1e6)
    assert cost.transcription_usd == pytest.approx(50_000 * 6.00 / 1e6 + 0.5 * 0.006)
    assert cost.twilio_usd == pytest.approx(3 * 0.0085 + 1 * 0.014)
    assert cost.sms_usd == pytest.approx(3 * 0.0083)
    assert cost.total_usd == round(
        cost.realtime_usd + cost.transcription_usd + cost.twilio_usd + cost.sms_usd, 6
    )
    assert (cost.twilio_minutes, cost.sms_segments, cost.prices_version) == (4, 3, 4)


def test_an_unknown_model_is_priced_as_the_default():
    prices = Prices()
    usage = {"output_audio": 1_000_000}
    unknown = call_cost(_record(realtime_model="gpt-new", usage=usage), prices, 0)
    default = call_cost(_record(realtime_model="gpt-realtime", usage=usage), prices, 0)
    assert unknown.realtime_usd == default.realtime_usd == 64.00


def test_prices_refuse_negative_rates():
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Prices(sms_per_segment=-0.01)
