"""Least privilege: named DynamoDB actions per component, no wildcards, no Scan."""

from __future__ import annotations

import json

import pytest

from infra import data

pytestmark = pytest.mark.infra

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(synth):
    """(policy logical id, statement) for every identity policy in the template."""
    for logical_id, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, statement
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for statement in inline["PolicyDocument"]["Statement"]:
                yield logical_id, statement


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _table_id(synth):
    (table_id,) = synth.resources("AWS::DynamoDB::Table")
    return table_id


def _table_statements(synth):
    table_id = _table_id(synth)
    for policy_id, statement in _statements(synth):
        if table_id in json.dumps(statement.get("Resource")):
            yield policy_id, statement


def test_no_statement_grants_wildcard_actions(synth):
    for policy_id, statement in _statements(synth):
        for action in _as_list(statement["Action"]):
            assert action != "*", policy_id
            assert not action.endswith(":*"), (policy_id, action)


def test_table_access_is_item_level_and_named(synth):
    found = list(_table_statements(synth))
    # webhook, tools, reminders, the bridge and the console's admin, connect, disconnect and
    # fan-out functions each have exactly one table statement; the fan-out one more: the stream;
    # and the after-call function one, plus its stream reads.
    assert len(found) == 11
    stream_reads = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
    allowed = (
        set(data.TOOLS_ACTIONS)
        | set(data.WEBHOOK_ACTIONS)
        | set(data.BRIDGE_ACTIONS)
        | stream_reads
    )
    for policy_id, statement in found:
        actions = set(_as_list(statement["Action"]))
        assert actions <= allowed, (policy_id, actions - allowed)
        assert "dynamodb:Scan" not in actions
        assert not any(
            a.startswith("dynamodb:Delete") and a != "dynamodb:DeleteItem" for a in actions
        )
        # Only this table and its indexes, never "*".
        assert "*" not in _as_list(statement["Resource"])


def test_only_tools_and_the_console_may_delete_items(synth):
    """Tools and admin (cancel/move), $disconnect and the fan-out (forget a connection)."""
    deleters = sorted(
        policy_id
        for policy_id, statement in _table_statements(synth)
        if "dynamodb:DeleteItem" in _as_list(statement["Action"])
    )
    assert len(deleters) == 4
    for part, policy_id in zip(["Admin", "Disconnect", "Fanout", "Tools"], deleters, strict=True):
        assert part in policy_id


def test_each_function_reads_only_its_secrets(synth):
    secret_ids = {k for k in synth.resources("AWS::SecretsManager::Secret")}
    openai = next(s for s in secret_ids if "OpenAi" in s)
    stream = next(s for s in secret_ids if "StreamToken" in s)
    readers: dict[str, set[str]] = {}
    for policy_id, statement in _statements(synth):
        if "secretsmanager:GetSecretValue" in _as_list(statement["Action"]):
            text = json.dumps(statement["Resource"])
            readers.setdefault(policy_id, set()).update(s for s in secret_ids if s in text)
    # Only the bridge's execution role (ECS secrets) and the after-call summary read the OpenAI key.
    openai_readers = [p for p, secrets in readers.items() if openai in secrets]
    assert openai_readers and all("ExecutionRole" in p or "AfterCall" in p for p in openai_readers)
    stream_readers = [p for p, secrets in readers.items() if stream in secrets]
    # The webhook and the bridge; and the admin function, which signs test calls' tokens.
    signers = ("Webhook", "ExecutionRole", "Admin")
    assert sorted(any(k in p for k in signers) for p in stream_readers) == [True, True, True]


def test_bridge_may_call_the_tools_url_and_nothing_else_of_the_function(synth):
    task_policies = [
        (policy_id, statement)
        for policy_id, statement in _statements(synth)
        if "TaskRole" in policy_id and "lambda:" in json.dumps(statement["Action"])
    ]
    actions = {a for _, s in task_policies for a in _as_list(s["Action"])}
    assert actions == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    for _, statement in task_policies:
        if statement["Action"] == "lambda:InvokeFunction":
            assert statement["Condition"] == {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
        else:
            assert statement["Condition"] == {
                "StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}
            }
        # The alias the URL is attached to, not the whole function.
        assert "ToolsLive" in json.dumps(statement["Resource"])


def test_lambda_roles_carry_no_managed_policies(synth):
    for logical_id, role in synth.resources("AWS::IAM::Role").items():
        if "Functions" in logical_id:
            assert "ManagedPolicyArns" not in role["Properties"], logical_id


def test_lambda_roles_grant_only_x_ray_on_every_resource(synth):
    """Tracing's two actions have no resource-level permissions; nothing else goes on "*"."""
    tracers = set()
    for policy_id, statement in _statements(synth):
        if "Functions" in policy_id and "*" in _as_list(statement["Resource"]):
            # The stream poller lists streams, an action with no resource-level permission.
            stream_poller = {"dynamodb:ListStreams"} if "AfterCall" in policy_id else set()
            assert set(_as_list(statement["Action"])) == XRAY_ACTIONS | stream_poller, policy_id
            tracers.add(policy_id)
    assert len(tracers) == 4  # webhook, tools, reminders, after_call
