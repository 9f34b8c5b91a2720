"""`/voice` answers in one read and one write: DynamoDB requests counted on the wire.

A botocore `before-call` hook on the client the handler uses (one pooled client per endpoint)
records every request the real `lambda_handler` makes against moto over HTTP: the caller, the
shop, its settings and the fleet's heartbeat come back in one BatchGetItem, and the call record
(with its stream grant) goes in one UpdateItem, whoever calls and whatever the answer is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from pitstop.models import AgentSettings
from tests.integration.webhook.shop import CUSTOMER_ID, seed_shop
from tests.integration.webhook.test_voice import CALL, _stream_params


@pytest.fixture
def requests(crm) -> Iterator[list[str]]:
    """The names of the DynamoDB requests made from here on (any code sharing the client)."""
    made: list[str] = []
    events = crm.table.meta.client.meta.events

    def count(model, **_):
        made.append(model.name)

    events.register("before-call.dynamodb", count)
    yield made
    events.unregister("before-call.dynamodb", count)


def test_a_known_callers_call_is_one_read_and_one_write(seeded, twilio, requests):
    seeded.heartbeats.beat("task-1", datetime.now(UTC))
    requests.clear()
    _, _, params = _stream_params(twilio.post("/voice", CALL))
    assert params["customer_id"] == CUSTOMER_ID  # the caller was recognised in that one read
    assert requests == ["BatchGetItem", "UpdateItem"]


def test_a_withheld_number_a_replay_and_a_dead_fleet_are_one_read_and_one_write_too(
    seeded, twilio, requests
):
    seeded.heartbeats.beat("task-1", datetime.now(UTC))
    requests.clear()
    _, _, params = _stream_params(twilio.post("/voice", {**CALL, "From": "anonymous"}))
    assert params["customer_id"] == "" and requests == ["BatchGetItem", "UpdateItem"]
    requests.clear()
    _stream_params(twilio.post("/voice", {**CALL, "From": "anonymous"}))  # replayed
    assert requests == ["BatchGetItem", "UpdateItem"]

    seeded.heartbeats.beat("task-1", datetime.now(UTC) - timedelta(minutes=5))
    requests.clear()
    answer = twilio.post("/voice", {**CALL, "CallSid": "CA_dead_fleet"})
    assert "<Dial" in answer["body"] and "<Stream" not in answer["body"]  # the fallback
    assert requests == ["BatchGetItem", "UpdateItem"]


def test_a_switched_off_agent_is_read_in_the_same_request(crm, webhook_settings, twilio, requests):
    seed_shop(crm, AgentSettings(agent_enabled=False))
    requests.clear()
    answer = twilio.post("/voice", CALL)
    assert "<Stream" not in answer["body"]
    assert requests == ["BatchGetItem", "UpdateItem"]
    assert crm.calls.get(CALL["CallSid"]).outcome == "handed_off"
