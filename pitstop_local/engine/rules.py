"""How strictly the offline engine imitates the real Realtime server, and what it scripts.

Why a switch: a stand-in that forgives what OpenAI refuses hides bugs, so tests run the engine
`strict` (as the GA server behaves): one active response at a time (a cancelled one stays active
until its `response.done`), `function_call_arguments.done` for interrupted calls too, no unknown
fields in any client event, `rate_limits.updated` at every response, and every Nth caller turn's
transcription delivered after the reply it triggered. Off (the default for `pitstop dev`), the
engine is as forgiving as it always was, so a client that does not obey yet still runs.

Faults are scripted per engine instance, never random: `fail_responses` lists the ordinals (1 =
a session's first response) that end `failed`; `expire_after_s` ends every session that long
after it opened, with `session_expired`, as the API does at its maximum duration;
`refuse_models` lists models a connection cannot open (`model_refusal`, as the API refuses a
model that does not exist or the key has no access to); `say` maps a response ordinal to a
sentence the engine speaks in place of the policy's words (what a model may say that it must
not: the bridge's guardrail is tested against it).

Environment (for a whole stack): `PITSTOP_ENGINE_STRICT=1`,
`PITSTOP_ENGINE_LATE_TRANSCRIPT_EVERY=3`, `PITSTOP_ENGINE_RATE_LIMITS=1`,
`PITSTOP_ENGINE_FAIL_RESPONSES='[2]'`, `PITSTOP_ENGINE_EXPIRE_AFTER_S=30`,
`PITSTOP_ENGINE_REFUSE_MODELS='["gpt-realtime"]'`,
`PITSTOP_ENGINE_SAY='{"3": "Your car is guaranteed to pass inspection."}'`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pitstop_local.engine import events as ev

__all__ = ["EngineRules"]

#: With `strict` and no explicit setting: every 3rd caller turn's transcript comes late.
STRICT_LATE_TRANSCRIPT_EVERY = 3


class EngineRules(BaseSettings):
    """The engine's strictness and scripted faults (read from `PITSTOP_ENGINE_*`)."""

    model_config = SettingsConfigDict(
        env_prefix="PITSTOP_ENGINE_", env_ignore_empty=True, extra="ignore", frozen=True
    )

    strict: bool = False
    late_transcript_every: int | None = Field(None, ge=0, description="0: never late")
    rate_limits: bool | None = None
    fail_responses: frozenset[int] = frozenset()
    expire_after_s: float | None = Field(None, gt=0)
    refuse_models: frozenset[str] = frozenset()
    say: dict[int, str] = Field(default_factory=dict, description="response ordinal → words")

    @property
    def late_every(self) -> int:
        """Every how many caller turns the transcript follows the reply (0: never)."""
        if self.late_transcript_every is not None:
            return self.late_transcript_every
        return STRICT_LATE_TRANSCRIPT_EVERY if self.strict else 0

    @property
    def sends_rate_limits(self) -> bool:
        return self.strict if self.rate_limits is None else self.rate_limits


def active_response_error(response_id: str, event_id: str | None) -> dict[str, Any]:
    """What GA answers a `response.create` sent while `response_id` is still active."""
    return ev.error(
        f"Conversation already has an active response in progress: {response_id}. "
        "Wait until the response is finished before creating a new one.",
        code="conversation_already_has_active_response",
        event_id=event_id,
    )


def unknown_parameter_error(param: str, event_id: str | None) -> dict[str, Any]:
    """What GA answers a client event with a field it does not define."""
    return ev.error(
        f"Unknown parameter: '{param}'.", code="unknown_parameter", param=param, event_id=event_id
    )


#: WebSocket close code the API ends a refused connection with (an application code, 4000).
CLOSE_INVALID_REQUEST = 4000


def model_refusal(model: str) -> tuple[dict[str, Any], str]:
    """What the API sends for a model it will not open, and its close reason: an
    `invalid_request_error` / `model_not_found` error event, then the socket closes."""
    error = ev.error(
        f"The model `{model}` does not exist or you do not have access to it.",
        type_="invalid_request_error",
        code="model_not_found",
    )
    return error, "invalid_request_error.model_not_found"


def session_expired_message(seconds: float) -> str:
    return f"Your session hit the maximum duration of {seconds / 60:g} minutes."


def rate_limits_event(responses: int) -> dict[str, Any]:
    """`rate_limits.updated` as sent at the start of a response (offline: generous limits,
    with the remainder going down per response so a client's bookkeeping is exercised)."""
    return ev.event(
        "rate_limits.updated",
        rate_limits=[
            {"name": "requests", "limit": 5000, "remaining": 5000 - responses, "reset_seconds": 60},
            {
                "name": "tokens",
                "limit": 400_000,
                "remaining": 400_000 - 1_000 * responses,
                "reset_seconds": 60,
            },
        ],
    )


FAILED_DETAILS: dict[str, Any] = {
    "type": "failed",
    "error": {"type": "server_error", "code": "server_error"},
}
