"""Alarms on every function's errors and throttles; a dashboard over the metrics the code emits."""

from __future__ import annotations

import json

import pytest

from infra import constants as c

pytestmark = pytest.mark.infra


def _alarms(synth):
    return [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]


def _function_alarms(synth, metric):
    """function logical id → its `metric` alarm (AWS/Lambda, by FunctionName)."""
    return {
        d["Value"]["Ref"]: a
        for a in _alarms(synth)
        if a.get("MetricName") == metric and a.get("Namespace") == "AWS/Lambda"
        for d in a["Dimensions"]
    }


def _functions_of(synth, modules):
    return {
        k
        for k, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"].get("Handler", "").startswith("functions.")
        and fn["Properties"]["Handler"].split(".")[1] in modules
    }


def _assert_alarmed_at_one_in_five_minutes(synth, functions):
    for metric in ("Errors", "Throttles"):
        alarms = _function_alarms(synth, metric)
        for function in functions:
            alarm = alarms[function]
            assert (alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (1, 300, 1)
            assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert alarm["Statistic"] == "Sum"


def test_errors_and_throttles_alarm_for_each_call_path_function(synth):
    functions = _functions_of(synth, ("webhook", "tools", "reminders"))
    assert len(functions) == 3
    _assert_alarmed_at_one_in_five_minutes(synth, functions)


def test_errors_and_throttles_alarm_for_the_admin_function(synth):
    functions = _functions_of(synth, ("admin",))
    assert len(functions) == 1
    _assert_alarmed_at_one_in_five_minutes(synth, functions)


@pytest.mark.parametrize("module", ["connect", "disconnect", "fanout"])
def test_errors_and_throttles_alarm_for_each_live_view_function(synth, module):
    handler = c.LIVE_HANDLER.format(module=module)
    functions = {
        k
        for k, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"].get("Handler") == handler
    }
    assert len(functions) == 1
    _assert_alarmed_at_one_in_five_minutes(synth, functions)


def test_every_pitstop_function_has_exactly_its_two_alarms(synth):
    ours = _functions_of(synth, ("webhook", "tools", "reminders", "admin", "live"))
    assert len(ours) == 7
    for metric in ("Errors", "Throttles"):
        assert set(_function_alarms(synth, metric)) == ours, metric


def test_alarms_notify_an_encrypted_topic(synth):
    (topic_id,) = synth.resources("AWS::SNS::Topic")
    assert "KmsMasterKeyId" in synth.raw["Resources"][topic_id]["Properties"]
    for alarm in _alarms(synth):
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]


def test_cold_start_spillover_and_reminder_failures_alarm(synth):
    names = {a.get("MetricName") for a in _alarms(synth)}
    assert "ProvisionedConcurrencySpilloverInvocations" in names
    assert c.METRIC_REMINDERS_FAILED in names
    assert "ApproximateNumberOfMessagesVisible" in names  # the reminder DLQ


def _dashboard_text(synth) -> str:
    body = synth.one("AWS::CloudWatch::Dashboard")["Properties"]["DashboardBody"]
    if isinstance(body, str):
        return body
    return "".join(p if isinstance(p, str) else "<token>" for p in body["Fn::Join"][1])


def test_dashboard_reads_the_metrics_the_code_emits(synth):
    """Metric names and dimension sets exactly as Powertools emits them (it adds `service`)."""
    text = _dashboard_text(synth)
    widgets = json.loads(text.replace("<token>", "x"))["widgets"]
    series = [m for w in widgets for m in w["properties"].get("metrics", [])]
    plain = {tuple(m[:4]) for m in series if m and m[0] == c.METRICS_NAMESPACE}
    expressions = [m[0]["expression"] for m in series if m and isinstance(m[0], dict)]

    assert ("Pitstop", "LiveCalls", "service", "media_bridge") in plain
    assert ("Pitstop", "ToolLatency", "service", "media_bridge") in plain
    assert ("Pitstop", "ToolLatency", "service", "tools") in plain
    for name in ("RemindersDue", "RemindersDialled", "RemindersFailed"):
        assert ("Pitstop", name, "service", "reminders") in plain
    assert any("{Pitstop,outcome,service}" in e and '"CallOutcome"' in e for e in expressions)
    assert any("{Pitstop,reason,service}" in e and '"RemindersSkipped"' in e for e in expressions)
    assert "AWS/Lambda" in text and "Errors" in text
