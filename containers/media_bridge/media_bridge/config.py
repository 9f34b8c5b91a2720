"""Bridge-only tuning knobs (timeouts, limits, drain deadline), read from the environment.

Everything shared with other components (URLs, table, telephony) stays in `pitstop.config.Settings`;
these are the bridge's own operational limits, so they live beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class BridgeOptions:
    path: str = "/media-stream"
    # Twilio sends ~400-byte JSON frames; anything near this limit is not Twilio.
    max_twilio_frame: int = 64 * 1024
    # Realtime events carry whole audio deltas and session objects.
    max_realtime_frame: int = 8 * 1024 * 1024
    start_timeout: float = 10.0  # seconds to wait for Twilio's `start` after the socket opens
    realtime_open_timeout: float = 5.0  # first connect; a reconnect uses at most 2 s per try
    tool_timeout: float = 8.0
    drain_seconds: float = 90.0  # ECS gives a task at most 120 s after SIGTERM
    reconnect_tries: int = 3
    reconnect_backoff: float = 0.25  # 0.25 s, 0.5 s, 1 s: the caller never waits long in silence
    handoff_audio_wait: float = 4.0  # let "let me connect you" finish before redirecting
    end_call_audio_wait: float = 10.0  # let the goodbye finish before hanging up
    goodbye_timeout: float = 15.0  # hang up anyway if the goodbye never comes
    watchdog_interval: float = 1.0
    metrics_interval: float = 60.0
    tools_cache_seconds: float = 300.0
    transcription_model: str = "gpt-4o-transcribe"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> BridgeOptions:
        """`PITSTOP_BRIDGE_<FIELD>` (upper case) overrides each field, e.g. PITSTOP_BRIDGE_DRAIN_SECONDS."""
        env = os.environ if env is None else env
        values = {}
        for field in fields(cls):
            raw = env.get(f"PITSTOP_BRIDGE_{field.name.upper()}")
            if raw:
                values[field.name] = type(field.default)(raw)
        return cls(**values)
