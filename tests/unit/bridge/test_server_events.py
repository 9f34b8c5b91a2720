"""The bridge's typed Realtime server events match `openai.types.realtime`, and parse tolerantly."""

from __future__ import annotations

import typing

import pytest
from openai.types import realtime as openai_rt
from pydantic import BaseModel

from media_bridge import realtime_events as ev

CONTRACT: dict[type[BaseModel], type[BaseModel]] = {
    ev.ResponseCreated: openai_rt.ResponseCreatedEvent,
    ev.ResponseDone: openai_rt.ResponseDoneEvent,
    ev.FunctionCallArgumentsDone: openai_rt.ResponseFunctionCallArgumentsDoneEvent,
    ev.ErrorEvent: openai_rt.RealtimeErrorEvent,
    ev.SpeechStarted: openai_rt.InputAudioBufferSpeechStartedEvent,
    ev.SpeechStopped: openai_rt.InputAudioBufferSpeechStoppedEvent,
    ev.InputTranscriptionCompleted: (
        openai_rt.ConversationItemInputAudioTranscriptionCompletedEvent
    ),
    ev.OutputTranscriptDone: openai_rt.ResponseAudioTranscriptDoneEvent,
    ev.OutputTranscriptDelta: openai_rt.ResponseAudioTranscriptDeltaEvent,
    ev.BufferCommitted: openai_rt.InputAudioBufferCommittedEvent,
    ev.OutputItemDone: openai_rt.ResponseOutputItemDoneEvent,
    ev.SessionUpdated: openai_rt.SessionUpdatedEvent,
    ev.RateLimitsUpdated: openai_rt.RateLimitsUpdatedEvent,
}


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, unions, lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _literals_in(annotation: object) -> set[object]:
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return {v for arg in typing.get_args(annotation) for v in _literals_in(arg)}


def _mismatches(ours: type[BaseModel], theirs: type[BaseModel], path: str) -> list[str]:
    found = []
    for name, field in ours.model_fields.items():
        where = f"{path}.{name}"
        if name not in theirs.model_fields:
            found.append(f"{where}: not in {theirs.__name__}")
            continue
        their_annotation = theirs.model_fields[name].annotation
        if not _literals_in(field.annotation) <= _literals_in(their_annotation):
            found.append(f"{where}: values not allowed by {theirs.__name__}")
        for nested in _models_in(field.annotation):
            candidates = _models_in(their_annotation)
            if not candidates:
                found.append(f"{where}: an object here, not in {theirs.__name__}")
                continue
            # A union (conversation items, session kinds): ours must fit one of its members.
            tries = [_mismatches(nested, candidate, where) for candidate in candidates]
            if all(tries):
                found += min(tries, key=len)
    return found


@pytest.mark.parametrize("ours", list(CONTRACT), ids=lambda m: m.__name__)
def test_every_field_we_read_is_a_field_of_the_openai_model(ours):
    assert _mismatches(ours, CONTRACT[ours], ours.__name__) == []


def test_every_event_the_bridge_acts_on_has_a_checked_model():
    assert {m.model_fields["type"].annotation.__args__[0] for m in CONTRACT} == ev.SERVER_EVENTS


def test_response_done_with_usage_and_fields_we_do_not_know():
    event = ev.parse_server_event(
        "response.done",
        {
            "type": "response.done",
            "event_id": "event_1",
            "future_field": {"anything": True},
            "response": {
                "id": "resp_1",
                "object": "realtime.response",
                "status": "failed",
                "status_details": {"type": "failed", "error": {"type": "server_error"}},
                "output": [{"type": "message", "role": "assistant", "content": []}],
                "usage": {
                    "total_tokens": 5,
                    "input_token_details": {"audio_tokens": 3, "cached_tokens_details": {}},
                    "output_token_details": {"audio_tokens": 2},
                },
            },
        },
    )
    assert isinstance(event, ev.ResponseDone)
    assert event.response.id == "resp_1" and event.response.status == "failed"
    assert event.response.status_details.error.type == "server_error"
    assert event.response.usage.output_token_details.audio_tokens == 2


def test_error_event_and_function_call():
    error = ev.parse_server_event(
        "error",
        {
            "type": "error",
            "event_id": "e",
            "error": {"type": "invalid_request_error", "message": "x"},
        },
    )
    assert isinstance(error, ev.ErrorEvent) and error.error.code is None
    call = ev.parse_server_event(
        "response.function_call_arguments.done",
        {
            "type": "response.function_call_arguments.done",
            "event_id": "e",
            "response_id": "r",
            "item_id": "i",
            "output_index": 0,
            "call_id": "c",
            "name": "end_call",
            "arguments": "{}",
        },
    )
    assert isinstance(call, ev.FunctionCallArgumentsDone) and call.name == "end_call"


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        ("response.function_call_arguments.done", {"call_id": "c", "name": "end_call"}),
        ("error", {"error": "a string, not an object"}),
        ("response.done", {"response": None}),
        ("conversation.item.input_audio_transcription.completed", {"transcript": None}),
    ],
)
def test_an_event_without_what_the_bridge_needs_is_refused(kind, event):
    with pytest.raises(ev.ValidationError):
        ev.parse_server_event(kind, {"type": kind, **event})
