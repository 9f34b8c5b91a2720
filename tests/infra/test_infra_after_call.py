"""The after-call Lambda: on the table's stream (finished call records only, partial batch
failures), its least-privilege role, and its alarms like every Pitstop function's."""

from __future__ import annotations

import json

import pytest

from infra import data
from infra.functions import ENV_OPENAI_SECRET_ARN, FINAL_CALL_STATUSES

pytestmark = pytest.mark.infra

HANDLER = "functions.after_call.handler.lambda_handler"


def _function(synth):
    (found,) = [
        (k, fn["Properties"])
        for k, fn in synth.resources("AWS::Lambda::Function").items()
        if fn["Properties"].get("Handler") == HANDLER
    ]
    return found


def _mapping(synth, function_id):
    (mapping,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    return mapping


def _role_statements(synth, props):
    role_id = props["Role"]["Fn::GetAtt"][0]
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            yield from policy["Properties"]["PolicyDocument"]["Statement"]


def test_it_reads_finished_call_records_from_the_stream(synth):
    function_id, _ = _function(synth)
    mapping = _mapping(synth, function_id)
    assert "StreamArn" in json.dumps(mapping["EventSourceArn"])
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["MaximumRetryAttempts"] == 3
    (pattern,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {
        "dynamodb": {
            "Keys": {"pk": {"S": [{"prefix": "CALL#"}]}, "sk": {"S": ["RECORD"]}},
            "NewImage": {"status": {"S": list(FINAL_CALL_STATUSES)}},
        }
    }


def test_its_environment_names_the_table_and_the_openai_secret_only(synth):
    _, props = _function(synth)
    variables = props["Environment"]["Variables"]
    assert {"PITSTOP_TABLE", "PITSTOP_SHOP_ID", ENV_OPENAI_SECRET_ARN} <= set(variables)
    assert "PITSTOP_TWILIO_SECRET_ARN" not in variables
    assert "OPENAI_API_KEY" not in variables  # never the key itself


def test_its_role_reads_and_updates_items_and_reads_one_secret(synth):
    _, props = _function(synth)
    statements = list(_role_statements(synth, props))
    table_actions = [s["Action"] for s in statements if s.get("Sid") == "CrmAfterCall"]
    assert table_actions == [list(data.AFTER_CALL_ACTIONS)]
    secrets = [s for s in statements if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])]
    (secret,) = secrets
    assert secret["Resource"] == props["Environment"]["Variables"][ENV_OPENAI_SECRET_ARN]
    for statement in statements:
        assert "dynamodb:Scan" not in json.dumps(statement["Action"])
        assert "dynamodb:PutItem" not in json.dumps(statement["Action"])


def test_its_errors_and_throttles_are_alarmed(synth):
    function_id, _ = _function(synth)
    for metric in ("Errors", "Throttles"):
        alarms = [
            a["Properties"]
            for a in synth.resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"].get("MetricName") == metric
            and {"Name": "FunctionName", "Value": {"Ref": function_id}}
            in a["Properties"].get("Dimensions", [])
        ]
        assert len(alarms) == 1, metric
