"""The console's test call on AWS: the page may open the bridge's `wss://` stream, and the admin
function knows the bridge and may read (only read) the stream-token key it signs with."""

from __future__ import annotations

import json

import pytest

from infra import constants as c
from tests.infra.conftest import cdk_json_context

pytestmark = pytest.mark.infra


def _admin(synth) -> dict:
    (found,) = [
        fn["Properties"]
        for fn in synth.resources("AWS::Lambda::Function").values()
        if fn["Properties"]
        .get("Environment", {})
        .get("Variables", {})
        .get(c.ENV_POWERTOOLS_SERVICE)
        == c.SERVICE_ADMIN
    ]
    return found


def test_the_console_csp_lets_the_page_stream_to_the_bridge_only(synth):
    policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")["Properties"]
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    connect = next(d for d in csp.split(";") if "connect-src" in d)
    assert f"wss://{cdk_json_context()['domain_name']}/media-stream" in connect


def test_the_admin_function_knows_the_bridge_and_reads_the_stream_token_key(synth):
    admin = _admin(synth)
    env = admin["Environment"]["Variables"]
    assert env[c.ENV_BRIDGE_URL] == f"wss://{cdk_json_context()['domain_name']}/media-stream"
    secret_ref = env[c.ENV_STREAM_TOKEN_SECRET_ARN]
    role_id = admin["Role"]["Fn::GetAtt"][0]
    actions = set()
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if json.dumps(secret_ref) in json.dumps(statement["Resource"]):
                actions |= set(
                    statement["Action"]
                    if isinstance(statement["Action"], list)
                    else [statement["Action"]]
                )
    assert actions == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}
