"""Bridge-only tuning knobs (timeouts, limits, drain deadline), read from the environment.

Everything shared with other components (URLs, table, telephony) stays in `pitstop.config.Settings`;
these are the bridge's own operational limits, so they live beside it. Each field is overridden by
`PITSTOP_BRIDGE_<FIELD>` (upper case), e.g. `PITSTOP_BRIDGE_DRAIN_SECONDS=30`.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class BridgeOptions(BaseSettings):
    # Only these fields are read from the environment, so the shared PITSTOP_BRIDGE_PORT and
    # PITSTOP_BRIDGE_URL (pitstop.config.Settings) do not clash; a misspelt keyword still fails.
    model_config = SettingsConfigDict(env_prefix="PITSTOP_BRIDGE_", frozen=True)

    path: str = "/media-stream"
    # Twilio sends ~400-byte JSON frames; anything near this limit is not Twilio.
    max_twilio_frame: int = 64 * 1024
    # Realtime events carry whole audio deltas and session objects.
    max_realtime_frame: int = 8 * 1024 * 1024
    start_timeout: float = 10.0  # seconds to wait for Twilio's `start` after the socket opens
    # Open streams per process, and of those, sockets that have not sent `start` yet (an idle
    # socket is free to open): beyond either, a new stream is refused with 503.
    max_streams: int = 1000
    max_pending: int = 200
    # Opening a Realtime link *and* confirming its session, all attempts together, at call start
    # and after a drop: the caller hears silence meanwhile, so after this a person takes over.
    connect_budget: float = 3.0
    realtime_open_timeout: float = 1.5  # one attempt's WebSocket handshake
    session_timeout: float = 1.5  # `session.updated` after `session.update`
    response_start_timeout: float = 2.5  # `response.created` after `response.create`
    garbage_timeout: float = 3.0  # nothing but unparseable frames for this long: a dead link
    response_retries: int = 2  # failed/incomplete responses asked again before apologising
    tool_timeout: float = 8.0
    drain_seconds: float = 90.0  # ECS gives a task at most 120 s after SIGTERM
    reconnect_tries: int = 3
    reconnect_backoff: float = 0.25  # 0.25 s, 0.5 s, 1 s: the caller never waits long in silence
    handoff_audio_wait: float = 4.0  # let "let me connect you" finish before redirecting
    end_call_audio_wait: float = 10.0  # let the goodbye finish before hanging up
    goodbye_timeout: float = 15.0  # hang up anyway if the goodbye never comes
    watchdog_interval: float = 1.0
    keypad_pause: float = 2.0  # seconds without a key that end a keypad entry (as `#` does)
    metrics_interval: float = 60.0
    tools_cache_seconds: float = 300.0
    transcription_model: str = "gpt-4o-transcribe"
