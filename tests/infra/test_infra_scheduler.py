"""The reminder schedule: shop-local cron, retries, encrypted DLQ."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.infra


def test_schedule_runs_in_the_shops_time_zone(synth):
    schedule = synth.one("AWS::Scheduler::Schedule")["Properties"]
    assert schedule["ScheduleExpression"] == "cron(0 10-19 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["State"] == "ENABLED"
    target = schedule["Target"]
    assert "Reminders" in target["Arn"]["Fn::GetAtt"][0]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    event = json.loads(target["Input"])
    assert event["shop_id"] == "demo"
    assert event["scheduled_time"] == "<aws.scheduler.scheduled-time>"


def test_failed_runs_land_in_an_encrypted_ssl_only_dlq(synth):
    schedule = synth.one("AWS::Scheduler::Schedule")["Properties"]
    (queue_id,) = synth.resources("AWS::SQS::Queue")
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert synth.raw["Resources"][queue_id]["Properties"]["SqsManagedSseEnabled"] is True
    policy = synth.one("AWS::SQS::QueuePolicy")["Properties"]["PolicyDocument"]
    assert any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


@pytest.mark.parametrize("bad", ["10:00 daily", "cron 0 10 * * ? *"])
def test_a_malformed_schedule_is_refused_at_synth(bad):
    from infra.config import ConfigError, PitstopConfig

    with pytest.raises(ConfigError):
        PitstopConfig.from_mapping({"reminder_schedule": bad})
