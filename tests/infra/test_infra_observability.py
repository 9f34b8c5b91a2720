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
    ours = _functions_of(synth, ("webhook", "tools", "reminders", "admin", "live", "after_call"))
    assert len(ours) == 8
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


# --- the call alarms (issue 16): one test each, on the metric the code emits ----------------
def _alarm(synth, description_start):
    (found,) = [a for a in _alarms(synth) if a["AlarmDescription"].startswith(description_start)]
    return found


def _plain_metric(alarm):
    return (
        alarm["Namespace"],
        alarm["MetricName"],
        {d["Name"]: d["Value"] for d in alarm["Dimensions"]},
    )


def _math(alarm):
    """(expression, {id: (metric name, dimensions, period, stat)}) of a metric-math alarm."""
    expression = next(m["Expression"] for m in alarm["Metrics"] if "Expression" in m)
    inputs = {
        m["Id"]: (
            m["MetricStat"]["Metric"]["MetricName"],
            {d["Name"]: d["Value"] for d in m["MetricStat"]["Metric"]["Dimensions"]},
            m["MetricStat"]["Period"],
            m["MetricStat"]["Stat"],
        )
        for m in alarm["Metrics"]
        if "MetricStat" in m
    }
    return expression, inputs


def test_realtime_errors_alarm_at_five_in_five_minutes(synth):
    alarm = _alarm(synth, "5+ OpenAI Realtime errors")
    assert _plain_metric(alarm) == ("Pitstop", "RealtimeErrors", {"service": "media_bridge"})
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 300, 5)


@pytest.mark.parametrize(
    ("start", "events", "calls", "service", "threshold"),
    [
        ("10%+ of the hour's inbound calls", "Fallbacks", "InboundCalls", "webhook", 10),
        ("30%+ of the hour's calls were handed", "Handoffs", "CallsEnded", "media_bridge", 30),
    ],
)
def test_rate_alarms_divide_per_hour_once_there_are_a_few_calls(
    synth, start, events, calls, service, threshold
):
    alarm = _alarm(synth, start)
    expression, inputs = _math(alarm)
    assert expression == "IF(calls >= 5, 100 * FILL(events, 0) / calls, 0)"
    assert inputs == {
        "events": (events, {"service": service}, 3600, "Sum"),
        "calls": (calls, {"service": service}, 3600, "Sum"),
    }
    assert alarm["Threshold"] == threshold
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_response_latency_p95_alarms_after_fifteen_slow_minutes(synth):
    alarm = _alarm(synth, "Callers waited 2500 ms or more (p95)")
    assert _plain_metric(alarm) == ("Pitstop", "ResponseLatency", {"service": "media_bridge"})
    assert (alarm["ExtendedStatistic"], alarm["Period"]) == ("p95", 300)
    assert (alarm["Threshold"], alarm["EvaluationPeriods"]) == (2500, 3)


def test_daily_cost_alarm_sums_the_per_call_cost_metric(synth):
    from pitstop.after_call import COST_METRIC  # the metric the after-call Lambda emits

    alarm = _alarm(synth, "The day's calls cost 50 USD or more")
    assert _plain_metric(alarm) == ("Pitstop", COST_METRIC, {"service": "after_call"})
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Sum", 86400, 50)


def test_the_bridge_emits_the_metrics_the_call_alarms_read():
    """The names the alarms read are the names `BridgeMetrics` writes (EMF, captured)."""
    import io
    from contextlib import redirect_stdout

    from media_bridge.observability import BridgeMetrics
    from pitstop.models import CallOutcome
    from pitstop.observability import metrics

    bridge = BridgeMetrics()
    out = io.StringIO()
    with redirect_stdout(out):
        bridge.outcome(CallOutcome.COMPLETED)
        bridge.realtime_error("server_error")
        bridge.latency([900.0, 1200.0], 650.0)
        metrics.flush_metrics(raise_on_empty_metrics=False)
    names = {
        m["Name"]
        for line in out.getvalue().splitlines()
        if line.startswith("{")
        for d in json.loads(line)["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
    }
    assert {"CallsEnded", "RealtimeErrors", "ResponseLatency", "GreetingLatency"} <= names
