"""What a call cost: the call record's usage priced with the shop's one price table.

The record's `usage` (tokens the bridge summed from `response.done`, and the input
transcription's usage) and its Twilio facts (duration, the handoff leg, SMS segments) are the
source of truth; dollars are derived from them after the call, with the `Prices` the shop keeps
in the table (`pitstop.dal.prices`, versioned like the settings). Changing a price changes the
cost of calls priced afterwards, never of those already priced: each cost names the version.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from pitstop.models import CallCost, CallDirection, CallRecord, Model

PER_MILLION = 1_000_000


class TokenPrices(Model):
    """One Realtime model's prices, USD per 1M tokens (cached input at its own rate)."""

    input_text: float = Field(ge=0)
    cached_text: float = Field(ge=0)
    input_audio: float = Field(ge=0)
    cached_audio: float = Field(ge=0)
    output_text: float = Field(ge=0)
    output_audio: float = Field(ge=0)


class TranscriptionPrices(Model):
    """The input transcription's prices: per 1M tokens (token-billed models) or per minute."""

    input_audio: float = Field(default=6.00, ge=0)
    input_text: float = Field(default=2.50, ge=0)
    output_text: float = Field(default=10.00, ge=0)
    per_minute: float = Field(default=0.006, ge=0)


#: OpenAI's list prices (USD per 1M tokens) for the Realtime models the settings offer.
DEFAULT_REALTIME = {
    "gpt-realtime": TokenPrices(
        input_text=4.00,
        cached_text=0.40,
        input_audio=32.00,
        cached_audio=0.40,
        output_text=16.00,
        output_audio=64.00,
    ),
    "gpt-realtime-mini": TokenPrices(
        input_text=0.60,
        cached_text=0.06,
        input_audio=10.00,
        cached_audio=0.30,
        output_text=2.40,
        output_audio=20.00,
    ),
}


class Prices(Model):
    """The shop's one price table. The defaults are list prices in US dollars; the shop
    updates them from the console (`PUT /admin/prices`) when its contracts differ."""

    realtime: dict[str, TokenPrices] = Field(default_factory=lambda: dict(DEFAULT_REALTIME))
    # A model missing from `realtime` is priced as this one (never as free).
    default_realtime_model: str = "gpt-realtime"
    transcription: TranscriptionPrices = Field(default_factory=TranscriptionPrices)
    # Twilio Programmable Voice, US local numbers, per minute (each leg rounded up).
    twilio_inbound_per_minute: float = Field(default=0.0085, ge=0)
    twilio_outbound_per_minute: float = Field(default=0.014, ge=0)
    sms_per_segment: float = Field(default=0.0083, ge=0)

    def realtime_prices(self, model: str | None) -> TokenPrices:
        chosen = self.realtime.get(model or "") or self.realtime.get(self.default_realtime_model)
        return chosen or DEFAULT_REALTIME["gpt-realtime"]


def _tokens(usage: Mapping[str, Any], name: str) -> int:
    return int(usage.get(name) or 0)


def realtime_usd(usage: Mapping[str, Any], prices: TokenPrices) -> float:
    """Realtime tokens: cached input is part of the input count, billed at the cached rate."""
    billable = {
        "input_text": max(_tokens(usage, "input_text") - _tokens(usage, "cached_text"), 0),
        "cached_text": _tokens(usage, "cached_text"),
        "input_audio": max(_tokens(usage, "input_audio") - _tokens(usage, "cached_audio"), 0),
        "cached_audio": _tokens(usage, "cached_audio"),
        "output_text": _tokens(usage, "output_text"),
        "output_audio": _tokens(usage, "output_audio"),
    }
    return sum(getattr(prices, k) * v for k, v in billable.items()) / PER_MILLION


def transcription_usd(usage: Mapping[str, Any], prices: TranscriptionPrices) -> float:
    """The input transcription, as the bridge sums its `usage`: tokens, or seconds of audio."""
    tokens = (
        _tokens(usage, "transcription_input_audio") * prices.input_audio
        + _tokens(usage, "transcription_input_text") * prices.input_text
        + _tokens(usage, "transcription_output_text") * prices.output_text
    ) / PER_MILLION
    seconds = float(usage.get("transcription_seconds") or 0)
    return tokens + seconds / 60 * prices.per_minute


def twilio_minutes(record: CallRecord) -> tuple[int, int]:
    """(inbound, outbound) billed minutes: each leg is rounded up to the minute, as Twilio
    bills. A reminder is an outbound call; a handoff adds the outbound leg to the shop."""
    if record.direction not in (CallDirection.INBOUND, CallDirection.REMINDER):
        return 0, 0  # a test call from the console has no Twilio leg
    call = math.ceil((record.duration_seconds or 0) / 60)
    handoff = math.ceil((record.handoff_seconds or 0) / 60)
    if record.direction is CallDirection.REMINDER:
        return 0, call + handoff
    return call, handoff


def call_cost(record: CallRecord, prices: Prices, prices_version: int) -> CallCost:
    """The call's cost, each part rounded to a millionth of a dollar and the total their sum
    (so a report's totals are exactly the sum of its calls)."""
    inbound, outbound = twilio_minutes(record)
    parts = {
        "realtime_usd": realtime_usd(record.usage, prices.realtime_prices(record.realtime_model)),
        "transcription_usd": transcription_usd(record.usage, prices.transcription),
        "twilio_usd": inbound * prices.twilio_inbound_per_minute
        + outbound * prices.twilio_outbound_per_minute,
        "sms_usd": record.sms_segments * prices.sms_per_segment,
    }
    rounded = {k: round(v, 6) for k, v in parts.items()}
    return CallCost(
        **rounded,
        total_usd=round(sum(rounded.values()), 6),
        twilio_minutes=inbound + outbound,
        sms_segments=record.sms_segments,
        prices_version=prices_version,
    )
