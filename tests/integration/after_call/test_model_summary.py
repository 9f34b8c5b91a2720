"""The summary written by a text model: the real `openai` SDK against a strict local stand-in
of the Responses API over HTTP (`fake_responses`), and the facts when the model fails."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pitstop.after_call import AfterCall
from pitstop.models import CallerMood, SummaryBody
from pitstop.summary import DEFAULT_SUMMARY_MODEL, openai_client
from tests.integration.after_call.conftest import bridge_finishes, bridged_call, twilio_completes
from tests.integration.after_call.fake_responses import API_KEY, FakeResponses

ANSWER = {
    "caller_wanted": "An oil change for their Camry on Friday morning.",
    "done": "Booked an oil change for Friday at 9:00 and texted the details.",
    "left_to_do": "",
    "callback_needed": False,
    "caller_mood": "pleased",
}


def _finished_image(crm, call_sid: str) -> dict:
    bridged_call(crm, call_sid, tools=[("book_appointment", True)])
    bridge_finishes(crm, call_sid)
    twilio_completes(crm, call_sid)
    return crm.table.get_item(Key={"pk": f"CALL#{call_sid}", "sk": "RECORD"})["Item"]


@pytest.fixture
def fake():
    with FakeResponses(ANSWER) as server:
        yield server


def test_the_model_writes_the_summary_in_its_structured_output(crm, fake):
    image = _finished_image(crm, "CAmodel1")
    after = AfterCall(crm, openai_client(API_KEY, base_url=fake.base_url))
    assert after.process(image, datetime.now(UTC))
    summary = crm.calls.get("CAmodel1").summary
    assert summary is not None
    assert summary.source == "model" and summary.model == DEFAULT_SUMMARY_MODEL
    assert (
        SummaryBody.model_validate(summary.model_dump(include=set(ANSWER))).model_dump(mode="json")
        == ANSWER
    )
    assert summary.caller_mood is CallerMood.PLEASED
    (request,) = fake.requests
    assert request["model"] == DEFAULT_SUMMARY_MODEL and request["store"] is False
    assert "book_appointment (ok)" in request["input"]
    assert "caller: I need an oil change on Friday" in request["input"]


def test_a_failing_model_leaves_the_summary_to_the_facts(crm, fake):
    fake.fail_with = 500
    image = _finished_image(crm, "CAmodel2")
    after = AfterCall(crm, openai_client(API_KEY, base_url=fake.base_url))
    assert after.process(image, datetime.now(UTC))
    summary = crm.calls.get("CAmodel2").summary
    assert summary is not None and summary.source == "facts"
    assert len(fake.requests) == 3  # the SDK's two retries, then the facts


def test_a_wrong_key_is_refused_like_the_real_service(crm, fake):
    image = _finished_image(crm, "CAmodel3")
    after = AfterCall(crm, openai_client("sk-wrong", base_url=fake.base_url))
    assert after.process(image, datetime.now(UTC))
    assert crm.calls.get("CAmodel3").summary.source == "facts"
