"""The after-call Lambda on the table's real (moto) stream: a finished call is summarised and
priced once, whichever of the bridge's last write and Twilio's final callback lands last."""

from __future__ import annotations

import json

import pytest

from pitstop.after_call import COST_METRIC
from pitstop.costs import Prices, call_cost
from pitstop.dal.table import from_item
from pitstop.models import CallDirection, CallOutcome, CallRecord, CallStatus
from pitstop_local.after_call import deliver
from tests.integration.after_call.conftest import (
    NOW,
    bridge_finishes,
    bridged_call,
    twilio_completes,
)


def _deliver_all(tail) -> dict:
    records = tail.poll()
    assert records, "the stream carried nothing"
    return deliver(records, tail.stream_arn)


def test_a_finished_call_is_summarised_and_priced_once(crm, tail):
    bridged_call(
        crm, "CAfinished1", tools=[("check_availability", True), ("book_appointment", True)]
    )
    bridge_finishes(crm, "CAfinished1")
    assert deliver(tail.poll(), tail.stream_arn) == {"batchItemFailures": []}
    assert crm.calls.get("CAfinished1").summary is None, "summarised before Twilio's last word"

    twilio_completes(crm, "CAfinished1")
    before = crm.calls.get("CAfinished1")
    records = tail.poll()
    assert deliver(records, tail.stream_arn) == {"batchItemFailures": []}
    record = crm.calls.get("CAfinished1")
    summary = record.summary
    assert summary is not None and summary.source == "facts"
    assert "book a service appointment" in summary.caller_wanted
    assert "Booked an appointment" in summary.done
    assert summary.callback_needed is False and summary.left_to_do == ""
    assert record.cost == call_cost(before, Prices(), 0)
    assert record.cost.twilio_minutes == 2 and record.cost.realtime_usd > 0

    # The same records again (a retried batch) and the after-call's own change: no second write.
    assert deliver(records + tail.poll(), tail.stream_arn) == {"batchItemFailures": []}
    assert crm.calls.get("CAfinished1").summary == summary


def test_twilio_first_then_the_bridge(crm, tail):
    bridged_call(crm, "CAorder1", tools=[("take_message", True)])
    twilio_completes(crm, "CAorder1", seconds=30)
    _deliver_all(tail)
    assert crm.calls.get("CAorder1").summary is None, "the bridge had not written its last word"
    bridge_finishes(crm, "CAorder1", outcome=CallOutcome.MESSAGE_TAKEN.value)
    _deliver_all(tail)
    summary = crm.calls.get("CAorder1").summary
    assert summary is not None
    assert summary.callback_needed is True
    assert summary.done == "Took a message for a call back."


def test_a_call_the_bridge_never_carried(crm, tail):
    """Fallback: only the webhook's write (outcome, handoff) and the status callback."""
    record = CallRecord(
        call_sid="CAfallback1",
        direction=CallDirection.INBOUND,
        customer_number="+15551230002",
        shop_id=crm.settings.shop_id,
        status=CallStatus.RINGING,
        started_at=NOW,
        stream_token_id="tok_unused",
        outcome=CallOutcome.FALLBACK,
        handoff_reason="bridge_down",
    )
    crm.calls.open_stream(record, NOW)
    crm.calls.set_fields("CAfallback1", {"handoff_seconds": 130, "handoff_status": "completed"})
    twilio_completes(crm, "CAfallback1", seconds=140)
    _deliver_all(tail)
    stored = crm.calls.get("CAfallback1")
    assert stored.summary is not None
    assert "put through to the shop" in stored.summary.done
    assert stored.summary.callback_needed is False  # somebody answered the handoff
    prices = Prices()
    assert stored.cost.twilio_minutes == 3 + 3
    assert stored.cost.twilio_usd == pytest.approx(
        3 * prices.twilio_inbound_per_minute + 3 * prices.twilio_outbound_per_minute
    )
    assert stored.cost.realtime_usd == 0


def test_a_record_that_cannot_be_read_is_reported_as_a_failure(crm, tail):
    """Partial failure: the bad record is named for a retry, the good one is written."""
    bridged_call(crm, "CAgood1", tools=[])
    bridge_finishes(crm, "CAgood1", outcome=CallOutcome.CALLER_HUNG_UP.value)
    twilio_completes(crm, "CAgood1")
    records = tail.poll()
    bad = {
        "eventID": "bad",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"pk": {"S": "CALL#CAbad1"}, "sk": {"S": "RECORD"}},
            "NewImage": {
                "pk": {"S": "CALL#CAbad1"},
                "sk": {"S": "RECORD"},
                "call_sid": {"S": "CAbad1"},
                "status": {"S": "completed"},
                "direction": {"S": "sideways"},
            },
            "SequenceNumber": "999999999999",
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE",
        },
    }
    answer = deliver([bad, *records], tail.stream_arn)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "999999999999"}]}
    assert (
        from_item(
            CallRecord, crm.table.get_item(Key={"pk": "CALL#CAgood1", "sk": "RECORD"})["Item"]
        ).summary
        is not None
    )


def _emf_costs(out: str) -> list[float]:
    """The `CallCostUSD` values of the EMF lines the handler printed (as CloudWatch reads them)."""
    values: list[float] = []
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Pitstop"
        if any(m["Name"] == COST_METRIC for m in directive["Metrics"]):
            value = document[COST_METRIC]
            values += value if isinstance(value, list) else [value]
    return values


def test_each_priced_call_is_one_cost_metric_and_test_calls_none(crm, tail, capsys):
    bridged_call(crm, "CAmetric1", tools=[])
    bridge_finishes(crm, "CAmetric1")
    twilio_completes(crm, "CAmetric1")
    test_call = CallRecord(
        call_sid="CAmetric2",
        direction=CallDirection.TEST,
        customer_number="+15551230003",
        shop_id=crm.settings.shop_id,
        status=CallStatus.IN_PROGRESS,
        started_at=NOW,
        usage={"output_audio": 5_000},
    )
    crm.calls.start(test_call, NOW)
    crm.calls.update_status("CAmetric2", CallStatus.COMPLETED, {"duration_seconds": 20})
    capsys.readouterr()
    _deliver_all(tail)
    assert _emf_costs(capsys.readouterr().out) == [crm.calls.get("CAmetric1").cost.total_usd]
    test_cost = crm.calls.get("CAmetric2").cost
    assert test_cost is not None and test_cost.twilio_usd == 0  # priced, no Twilio leg
