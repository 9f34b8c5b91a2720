"""The agent's voice, hearing and guardrails: as the shop stores them, as Realtime takes them.

Each field is validated where the shop saves it (the console, the CLI), not where a call starts:
a typo in a voice name or a VAD threshold of 5 must be refused in the settings form, never
discovered by a caller who hears silence because `session.update` was rejected. The sub-models
mirror `openai.types.realtime` (`ServerVad`, `SemanticVad`, `NoiseReductionType`, the output
`speed` and the built-in `Voice` names), and `session_audio()` builds the `audio` part of the
session from them, so the bridge sends exactly what was validated here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# The GA built-in voices (`openai.types.realtime.realtime_audio_config_output.Voice`).
VOICES = ("alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar")

# `audio.output.speed`: the documented range (1.0 is normal speech).
MIN_SPEED, MAX_SPEED = 0.25, 1.5

NoiseReduction = Literal["near_field", "far_field", "off"]
EscalationAction = Literal["offer", "handoff"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerVad(_Strict):
    """Voice-activity turn detection: a turn ends after `silence_duration_ms` of quiet."""

    type: Literal["server_vad"] = "server_vad"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    prefix_padding_ms: int = Field(default=300, ge=0, le=2000)
    silence_duration_ms: int = Field(default=500, ge=100, le=5000)


class SemanticVad(_Strict):
    """Model-judged turn detection: `eagerness` trades waiting for a pause against jumping in."""

    type: Literal["semantic_vad"] = "semantic_vad"
    eagerness: Literal["low", "medium", "high", "auto"] = "auto"


TurnDetection = Annotated[ServerVad | SemanticVad, Field(discriminator="type")]


# What a service desk must never promise on the phone: each is a liability for the shop.
DEFAULT_PROHIBITED_PHRASES = (
    "guaranteed",  # an outcome no one can promise before the car is in the bay
    "100% fixed",
    "it's definitely the",  # a diagnosis without an inspection
    "it's probably just the",
    "your insurance will cover",  # insurance advice
    "claim it on your insurance",
    "it will cost exactly",  # a firm price where the catalogue has a range
    "it'll only cost",
)


def session_audio(
    *,
    speed: float,
    noise_reduction: NoiseReduction,
    turn_detection: ServerVad | SemanticVad,
) -> dict[str, Any]:
    """The `audio` fields of a `session.update` (`input.turn_detection`,
    `input.noise_reduction`, `output.speed`); merge them into the session's `audio` formats."""
    return {
        "input": {
            # The bridge's barge-in relies on the server answering and interrupting by itself.
            "turn_detection": {
                **turn_detection.model_dump(),
                "create_response": True,
                "interrupt_response": True,
            },
            "noise_reduction": None if noise_reduction == "off" else {"type": noise_reduction},
        },
        "output": {"speed": speed},
    }
