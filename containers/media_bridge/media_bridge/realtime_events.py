"""The Realtime server events the bridge acts on, as small typed models.

Field names are those of `openai.types.realtime` (tests/unit/bridge/test_server_events.py checks
each model against it). Every model ignores fields it does not name: the server adds fields over
time, and an unknown field must never cost a call. Only what the bridge reads is declared.

Audio deltas are not here: `response.output_audio.delta` arrives 50 times a second per call and
stays a plain dict whose `delta` string goes to Twilio untouched (see `conversation.py`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "SERVER_EVENTS",
    "BufferCommitted",
    "ErrorEvent",
    "FunctionCallArgumentsDone",
    "InputTranscriptionCompleted",
    "OutputItemDone",
    "OutputTranscriptDelta",
    "OutputTranscriptDone",
    "RateLimitsUpdated",
    "Response",
    "ResponseCreated",
    "ResponseDone",
    "ServerEvent",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TranscriptionUsage",
    "ValidationError",
    "parse_server_event",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TokenDetails(_Model):
    text_tokens: int | None = None
    audio_tokens: int | None = None


class InputTokenDetails(TokenDetails):
    cached_tokens_details: TokenDetails | None = None


class ResponseUsage(_Model):
    """`response.usage`: what the response cost, in tokens (cached ones counted in the input)."""

    input_token_details: InputTokenDetails | None = None
    output_token_details: TokenDetails | None = None


class TranscriptionTokens(_Model):
    """A transcription billed by tokens (at the transcription model's prices)."""

    type: Literal["tokens"]
    input_tokens: int = 0
    output_tokens: int = 0
    input_token_details: TokenDetails | None = None


class TranscriptionDuration(_Model):
    """A transcription billed by the seconds of audio it heard."""

    type: Literal["duration"]
    seconds: float = 0.0


TranscriptionUsage = TranscriptionTokens | TranscriptionDuration


class StatusError(_Model):
    code: str | None = None
    type: str | None = None


class StatusDetails(_Model):
    """Why a response did not complete (`cancelled`, `incomplete`, `failed`)."""

    type: str | None = None
    reason: str | None = None
    error: StatusError | None = None


class OutputItem(_Model):
    """An item of a response; `status` says whether it was finished or cut short."""

    id: str | None = None
    type: str | None = None
    status: str | None = None
    call_id: str | None = None


class Response(_Model):
    id: str | None = None
    # `completed`, `cancelled`, `failed`, `incomplete` or `in_progress` today; a plain string so
    # that a status added later still ends the response here instead of failing to parse.
    status: str | None = None
    status_details: StatusDetails | None = None
    usage: ResponseUsage | None = None
    output: list[OutputItem] | None = None


class ResponseCreated(_Model):
    type: Literal["response.created"]
    response: Response


class ResponseDone(_Model):
    type: Literal["response.done"]
    response: Response


class FunctionCallArgumentsDone(_Model):
    """The model called a tool; `arguments` is its JSON text, parsed by the tool runner."""

    type: Literal["response.function_call_arguments.done"]
    response_id: str
    call_id: str
    name: str
    arguments: str


class RealtimeError(_Model):
    message: str
    type: str
    code: str | None = None
    param: str | None = None
    event_id: str | None = None  # the client event that caused it, when there was one


class ErrorEvent(_Model):
    type: Literal["error"]
    error: RealtimeError


class SpeechStarted(_Model):
    """Server VAD heard the caller start speaking: barge-in if the agent is talking.

    `item_id` is the user item this speech becomes: its place in the transcript.
    """

    type: Literal["input_audio_buffer.speech_started"]
    item_id: str | None = None


class BufferCommitted(_Model):
    """The caller's audio became user item `item_id` (its place in the conversation)."""

    type: Literal["input_audio_buffer.committed"]
    item_id: str


class OutputItemDone(_Model):
    """An output item is finished, or was cut short (`status` other than `completed`)."""

    type: Literal["response.output_item.done"]
    response_id: str
    item: OutputItem


class AudioFormat(_Model):
    type: str | None = None
    rate: int | None = None


class EchoInput(_Model):
    format: AudioFormat | None = None
    # `RealtimeAudioInputTurnDetection` / `NoiseReduction`: compared key by key with what was
    # asked, so the server's own additions (e.g. `idle_timeout_ms`) are no mismatch.
    turn_detection: dict[str, Any] | None = None
    noise_reduction: dict[str, Any] | None = None


class EchoOutput(_Model):
    format: AudioFormat | None = None
    voice: str | None = None
    speed: float | None = None


class EchoAudio(_Model):
    input: EchoInput | None = None
    output: EchoOutput | None = None


class EchoTool(_Model):
    name: str | None = None


class EchoSession(_Model):
    """What the server applied, as `session.updated` echoes it (only what the bridge checks)."""

    audio: EchoAudio | None = None
    tools: list[EchoTool] | None = None


class SessionUpdated(_Model):
    type: Literal["session.updated"]
    session: EchoSession


class RateLimit(_Model):
    name: str | None = None
    remaining: int | None = None
    reset_seconds: float | None = None


class RateLimitsUpdated(_Model):
    """Sent at the start of each response: what is left before the account is throttled."""

    type: Literal["rate_limits.updated"]
    rate_limits: list[RateLimit]


class SpeechStopped(_Model):
    """The caller stopped speaking: activity, for the silence watchdog."""

    type: Literal["input_audio_buffer.speech_stopped"]


class InputTranscriptionCompleted(_Model):
    """What the caller said in user item `item_id`; may arrive after the reply it triggered."""

    type: Literal["conversation.item.input_audio_transcription.completed"]
    item_id: str | None = None
    transcript: str
    usage: TranscriptionUsage | None = None


class OutputTranscriptDone(_Model):
    """What the agent generated in one audio item (also sent for interrupted items)."""

    type: Literal["response.output_audio_transcript.done"]
    item_id: str | None = None
    transcript: str


class OutputTranscriptDelta(_Model):
    """A piece of the agent's words, sent ahead of the audio it speaks (the guardrail's input)."""

    type: Literal["response.output_audio_transcript.delta"]
    item_id: str
    response_id: str
    delta: str


ServerEvent = (
    ResponseCreated
    | ResponseDone
    | FunctionCallArgumentsDone
    | ErrorEvent
    | SpeechStarted
    | SpeechStopped
    | InputTranscriptionCompleted
    | OutputTranscriptDone
    | OutputTranscriptDelta
    | BufferCommitted
    | OutputItemDone
    | SessionUpdated
    | RateLimitsUpdated
)

_MODELS: dict[str, type[ServerEvent]] = {
    "response.created": ResponseCreated,
    "response.done": ResponseDone,
    "response.function_call_arguments.done": FunctionCallArgumentsDone,
    "error": ErrorEvent,
    "input_audio_buffer.speech_started": SpeechStarted,
    "input_audio_buffer.speech_stopped": SpeechStopped,
    "conversation.item.input_audio_transcription.completed": InputTranscriptionCompleted,
    "response.output_audio_transcript.done": OutputTranscriptDone,
    "response.output_audio_transcript.delta": OutputTranscriptDelta,
    "input_audio_buffer.committed": BufferCommitted,
    "response.output_item.done": OutputItemDone,
    "session.updated": SessionUpdated,
    "rate_limits.updated": RateLimitsUpdated,
}
SERVER_EVENTS = frozenset(_MODELS)  # the event types the bridge acts on (besides audio deltas)


def parse_server_event(kind: str, event: dict[str, Any]) -> ServerEvent:
    """The typed event of type `kind` (one of `SERVER_EVENTS`).

    Raises `ValidationError` when the event lacks a field the bridge needs, or has one of the
    wrong type.
    """
    return _MODELS[kind].model_validate(event)
