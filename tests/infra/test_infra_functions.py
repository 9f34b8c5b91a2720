"""Lambda functions: runtime, handlers, environment, secrets, cold-start strategy."""

from __future__ import annotations

import json

import pytest

from infra import constants as c
from tests.infra.conftest import HANDLERS, env, pitstop_functions

pytestmark = pytest.mark.infra


def test_three_functions_python312_arm64(synth):
    functions = pitstop_functions(synth)
    assert set(functions) == set(HANDLERS)
    for props in functions.values():
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogGroup"]


def test_common_environment(synth):
    (table_id,) = synth.resources("AWS::DynamoDB::Table")
    for name, props in pitstop_functions(synth).items():
        variables = env(props)
        assert variables[c.ENV_TABLE] == {"Ref": table_id}
        assert variables[c.ENV_SHOP_ID] == "demo"
        assert variables[c.ENV_TELEPHONY] == "twilio"
        assert variables[c.ENV_FROM_NUMBER] == "+15005550006"
        assert variables["POWERTOOLS_SERVICE_NAME"] == name
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Pitstop"
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
        assert "Ref" in variables[c.ENV_TWILIO_SECRET_ARN]


def test_public_url_is_the_http_api_endpoint(synth):
    (api_id,) = [
        k
        for k, v in synth.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == "HTTP"
    ]
    for name in ("webhook", "reminders"):
        variables = env(pitstop_functions(synth)[name])
        assert variables[c.ENV_PUBLIC_URL] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}


def test_webhook_points_twilio_at_the_bridge(synth):
    variables = env(pitstop_functions(synth)["webhook"])
    assert variables[c.ENV_BRIDGE_URL] == "wss://bridge.example.com/media-stream"
    assert "Ref" in variables[c.ENV_STREAM_TOKEN_SECRET_ARN]


def test_tools_give_up_before_the_bridge_does(synth):
    from media_bridge.config import BridgeOptions

    timeout = pitstop_functions(synth)["tools"]["Timeout"]
    assert timeout == c.TOOLS_TIMEOUT_SECONDS == 6
    assert timeout < BridgeOptions().tool_timeout


def test_reminders_run_at_the_twilio_rate(synth):
    # The shop's time zone is the shop record's (and the schedule's, see test_infra_scheduler),
    # not an environment variable.
    variables = env(pitstop_functions(synth)["reminders"])
    assert variables[c.ENV_CALLS_PER_SECOND] == "1"


def test_no_secret_value_in_any_environment(synth):
    for props in pitstop_functions(synth).values():
        variables = env(props)
        assert not set(variables) & set(c.SECRET_ENV_NAMES)
        text = json.dumps(variables)
        assert "resolve:secretsmanager" not in text
        assert "REPLACE_ME" not in text


def test_call_path_functions_stay_warm_behind_live_alias(synth):
    aliases = synth.resources("AWS::Lambda::Alias")
    assert len(aliases) == 2
    for alias in aliases.values():
        props = alias["Properties"]
        assert props["Name"] == "live"
        assert props["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}


def test_tools_function_url_requires_iam_and_is_not_public(synth):
    url = synth.one("AWS::Lambda::Url")["Properties"]
    assert url["AuthType"] == "AWS_IAM"
    assert url["Qualifier"] == "live"
    assert "Tools" in url["TargetFunctionArn"]["Fn::GetAtt"][0]
    for permission in synth.resources("AWS::Lambda::Permission").values():
        props = permission["Properties"]
        assert props["Principal"] != "*"
        assert props.get("FunctionUrlAuthType") != "NONE"


def test_x_ray_tracing_is_active_on_every_function(synth):
    for name, props in pitstop_functions(synth).items():
        assert props["TracingConfig"] == {"Mode": "Active"}, name
