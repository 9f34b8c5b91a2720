"""The Lambda handler (scheduler event → run → metrics) and `pitstop reminders`, moto + outbox."""

from __future__ import annotations

import argparse
import functools
import json
from urllib.parse import parse_qs, urlparse

import pytest

from functions.reminders import cli, handler
from functions.reminders import run as run_module
from pitstop.config import get_settings
from pitstop.reminders import get_policy
from pitstop.telephony import read_outbox

from .conftest import NOW, TOMORROW


@pytest.fixture
def stack_env(settings, monkeypatch):
    """The environment a deployed function (or `pitstop dev`) gives the process."""
    monkeypatch.setenv("PITSTOP_TABLE", settings.table_name)
    monkeypatch.setenv("PITSTOP_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint)
    monkeypatch.setenv("PITSTOP_TELEPHONY", "outbox")
    monkeypatch.setenv("PITSTOP_OUTBOX", str(settings.outbox_path))
    monkeypatch.setenv("PITSTOP_CALLS_PER_SECOND", "1000")
    # The shop's calling hours are checked against this fixed evening, not the real clock.
    monkeypatch.setattr(
        run_module, "run_reminders", functools.partial(run_module.run_reminders, now=lambda: NOW)
    )
    monkeypatch.setattr(handler, "run_reminders", run_module.run_reminders)
    get_settings.cache_clear()
    get_policy.cache_clear()
    yield settings
    get_settings.cache_clear()
    get_policy.cache_clear()


@pytest.fixture
def day(crm, shop, builder):
    with builder:
        due = [builder.appointment(builder.customer(), TOMORROW, i) for i in range(3)]
        builder.appointment(builder.customer(do_not_call=True), TOMORROW, 3)
    return due


class _Context:
    function_name = "pitstop-reminders"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:pitstop-reminders"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def _emf(output: str) -> list[dict]:
    blobs = []
    for line in output.splitlines():
        try:
            blob = json.loads(line)
        except ValueError:
            continue
        if isinstance(blob, dict) and "_aws" in blob:
            blobs.append(blob)
    return blobs


def test_the_scheduled_lambda_dials_through_the_outbox_and_emits_metrics(
    stack_env, crm, day, capsys
):
    result = handler.lambda_handler({"date": TOMORROW.isoformat()}, _Context())
    assert (result["due"], result["dialled"], result["skipped"]) == (3, 3, {"do_not_call": 1})

    calls = [e for e in read_outbox(stack_env.outbox_path) if e["kind"] == "call"]
    assert sorted(c["to"] for c in calls) == sorted(
        crm.customers.get(a.customer_id).phone for a in day
    )
    assert {c["url"].split("appointment_id=")[1].split("&")[0] for c in calls} == {
        a.appointment_id for a in day
    }
    assert all(c["machine_detection"] for c in calls)
    callbacks = [urlparse(c["status_callback"]) for c in calls]
    assert {u.path for u in callbacks} == {"/voice/status"}
    attempts = {parse_qs(u.query)["appointment_id"][0]: parse_qs(u.query) for u in callbacks}
    for a in day:  # each call's callback names its own attempt (the claim the run holds)
        stored = crm.reminders.get(a.customer_id, a.appointment_id)
        assert attempts[a.appointment_id]["attempt_id"] == [stored.reminder_attempt_id]

    blobs = _emf(capsys.readouterr().out)
    values = {}
    for blob in blobs:
        for definition in blob["_aws"]["CloudWatchMetrics"]:
            assert definition["Namespace"] == "Pitstop"
            for metric in definition["Metrics"]:
                value = blob[metric["Name"]]
                values[(metric["Name"], blob.get("reason"))] = (
                    sum(value) if isinstance(value, list) else value
                )
    assert values[("RemindersDue", None)] == 3
    assert values[("RemindersDialled", None)] == 3
    assert values[("RemindersFailed", None)] == 0
    assert values[("RemindersSkipped", "do_not_call")] == 1

    # A re-delivered event (or a Lambda retry) dials nothing more.
    again = handler.lambda_handler({"date": TOMORROW.isoformat()}, _Context())
    assert again["dialled"] == 0
    assert len([e for e in read_outbox(stack_env.outbox_path) if e["kind"] == "call"]) == 3


def test_a_dry_run_event_changes_nothing(stack_env, day):
    result = handler.lambda_handler({"dry_run": True}, _Context())
    assert result["dry_run"] and result["dialled"] == 0 and len(result["calls"]) == 3
    assert read_outbox(stack_env.outbox_path) == []


def test_the_event_payload_is_parsed():
    assert handler.parse_event({}) == (None, False)
    assert handler.parse_event({"date": "2026-12-01", "dry_run": True}) == (TOMORROW, True)
    assert handler.parse_event({"detail": {"date": "2026-12-01"}}) == (TOMORROW, False)
    with pytest.raises(ValueError, match="isoformat"):
        handler.parse_event({"date": "tomorrow"})


def _cli(*argv) -> int:
    parser = argparse.ArgumentParser(prog="pitstop")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_pitstop_reminders_run_dials_each_due_appointment_once_via_the_outbox(
    stack_env, day, capsys
):
    endpoint = ("--endpoint", stack_env.dynamodb_endpoint)
    assert _cli("reminders", "run", "--json", *endpoint) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["day"], first["dialled"], first["skipped"]) == (
        TOMORROW.isoformat(),
        3,
        {"do_not_call": 1},
    )
    assert len(read_outbox(stack_env.outbox_path)) == 3

    assert _cli("reminders", "run", *endpoint) == 0
    text = capsys.readouterr().out
    assert "dialled 0" in text and "in_progress 3" in text
    assert len(read_outbox(stack_env.outbox_path)) == 3

    assert _cli("reminders", "status", "--json", "--date", TOMORROW.isoformat(), *endpoint) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"] == {"dialled": 3, "pending": 1}


def test_pitstop_reminders_dry_run_prints_what_it_would_dial(stack_env, day, capsys):
    assert _cli("reminders", "run", "--dry-run", "--endpoint", stack_env.dynamodb_endpoint) == 0
    text = capsys.readouterr().out
    assert text.count("would dial") == 3 + 1  # three lines and the summary
    assert "do_not_call" in text
    assert "+1310" not in text.replace("+1******", "")  # numbers masked
    assert read_outbox(stack_env.outbox_path) == []


def test_the_cli_endpoint_defaults_to_the_local_stack(monkeypatch):
    monkeypatch.delenv("PITSTOP_DYNAMODB_ENDPOINT", raising=False)
    parser = argparse.ArgumentParser(prog="pitstop")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["reminders", "run"])
    assert args.endpoint == "http://127.0.0.1:5005"
    assert cli._settings(args).dynamodb_endpoint == "http://127.0.0.1:5005"


def test_locally_calling_hours_are_ignored_unless_asked_for(stack_env, day, capsys, monkeypatch):
    from datetime import UTC, datetime

    night = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 23:00 in Los Angeles
    original = run_module.run_reminders.func
    monkeypatch.setattr(run_module, "run_reminders", functools.partial(original, now=lambda: night))
    endpoint = ("--endpoint", stack_env.dynamodb_endpoint, "--json")

    assert _cli("reminders", "run", "--calling-hours", "enforce", *endpoint) == 0
    enforced = json.loads(capsys.readouterr().out)
    assert (enforced["dialled"], enforced["skipped"]) == (
        0,
        {"do_not_call": 1, "outside_calling_hours": 3},
    )
    assert read_outbox(stack_env.outbox_path) == []

    assert _cli("reminders", "run", *endpoint) == 0  # outbox telephony: nobody is really phoned
    assert json.loads(capsys.readouterr().out)["dialled"] == 3
    assert len(read_outbox(stack_env.outbox_path)) == 3


def test_the_cli_keeps_stdout_for_the_summary_and_says_when_the_stack_is_down(capsys):
    assert _cli("reminders", "run", "--endpoint", "http://127.0.0.1:9", "--json") == 2
    out, err = capsys.readouterr()
    assert out == "" and "pitstop dev" in err
