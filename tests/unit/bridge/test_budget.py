"""Budgets: the per-response cap in the session, the per-call ceiling on summed usage, and the
transcription usage that the record keeps beside the responses'."""

from __future__ import annotations

from openai.types.realtime import ConversationItemInputAudioTranscriptionCompletedEvent

from media_bridge import realtime_side as rt
from media_bridge.budget import HANDOFF_REASON, WRAP_UP, TokenBudget
from media_bridge.call_state import Usage
from media_bridge.observability import BridgeMetrics
from media_bridge.realtime_events import InputTranscriptionCompleted
from pitstop.models import AgentSettings
from pitstop_local.realtime_contract import validate_client_event


class Recorded(BridgeMetrics):
    def __init__(self) -> None:
        self.steps: list[str] = []

    def budget_reached(self, step: str) -> None:
        self.steps.append(step)


def budget(ceiling: int):
    said: list[str] = []
    handed: list[str] = []

    async def respond(instructions: str) -> None:
        said.append(instructions)

    async def hand_off(reason: str) -> None:
        handed.append(reason)

    metrics = Recorded()
    return TokenBudget(ceiling, respond=respond, hand_off=hand_off, metrics=metrics), said, handed


def test_the_per_response_cap_is_the_ga_session_field():
    settings = AgentSettings(max_output_tokens_per_response=600)
    event = rt.session_update(
        instructions="You are an AI assistant.",
        tools=[],
        voice="marin",
        language="en",
        transcription_model="gpt-4o-transcribe",
        audio=settings.session_audio(),
        max_output_tokens=settings.max_output_tokens_per_response,
    )
    assert validate_client_event(event).session.max_output_tokens == 600


async def test_past_the_ceiling_the_agent_wraps_up_once_then_hands_off():
    tokens, said, handed = budget(1000)
    usage = Usage(input_audio=600, output_audio=300)
    await tokens.spent(usage, ending=False)
    assert (said, handed, tokens.step) == ([], [], None)
    usage.output_audio += 200  # 1100: past the ceiling
    await tokens.spent(usage, ending=False)
    await tokens.spent(usage, ending=False)  # asked once, not after every response
    assert (said, handed, tokens.step) == ([WRAP_UP], [], "wrap_up")
    usage.input_audio += 200  # 1300: past 1.25x, still talking
    await tokens.spent(usage, ending=False)
    assert (said, handed, tokens.step) == ([WRAP_UP], [HANDOFF_REASON], "handoff")
    assert tokens._metrics.steps == ["wrap_up", "handoff"]


async def test_a_call_already_ending_is_left_to_end():
    tokens, said, handed = budget(1000)
    await tokens.spent(Usage(output_audio=5000), ending=True)
    assert (said, handed, tokens.step) == ([], [], None)


def _transcribed(usage: dict) -> InputTranscriptionCompleted:
    event = {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "event_1",
        "item_id": "item_1",
        "content_index": 0,
        "transcript": "hello",
        "usage": usage,
    }
    ConversationItemInputAudioTranscriptionCompletedEvent.model_validate(event)  # a real shape
    return InputTranscriptionCompleted.model_validate(event)


def test_transcription_usage_is_summed_in_tokens_or_seconds():
    usage = Usage()
    tokens = {
        "type": "tokens",
        "input_tokens": 30,
        "output_tokens": 6,
        "total_tokens": 36,
        "input_token_details": {"audio_tokens": 28, "text_tokens": 2},
    }
    usage.transcribed(_transcribed(tokens).usage)
    usage.transcribed(_transcribed({"type": "duration", "seconds": 2.5}).usage)
    usage.transcribed(None)
    assert (usage.transcription_input_audio, usage.transcription_input_text) == (28, 2)
    assert (usage.transcription_output_text, usage.transcription_seconds) == (6, 2.5)
    assert usage.transcriptions == 2
    assert usage.total == 0  # the ceiling counts the Realtime responses' tokens
