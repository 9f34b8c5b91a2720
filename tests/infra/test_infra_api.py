"""The webhook HTTP API: exactly the Twilio routes, logged and throttled; no way to the tools."""

from __future__ import annotations

import json

import pytest

from infra import constants as c

pytestmark = pytest.mark.infra


def test_routes_are_exactly_the_webhook_routes(synth):
    keys = sorted(
        r["Properties"]["RouteKey"] for r in synth.resources("AWS::ApiGatewayV2::Route").values()
    )
    assert keys == sorted(f"{method} {path}" for method, path in c.WEBHOOK_ROUTES)


def test_no_route_reaches_the_tools_function(synth):
    routes = synth.resources("AWS::ApiGatewayV2::Route").values()
    assert not any("tools" in r["Properties"]["RouteKey"].lower() for r in routes)
    assert not any(r["Properties"]["RouteKey"] == "$default" for r in routes)
    for integration in synth.resources("AWS::ApiGatewayV2::Integration").values():
        uri = json.dumps(integration["Properties"]["IntegrationUri"])
        assert "Webhook" in uri and "Tools" not in uri


def test_integration_invokes_the_warm_alias(synth):
    (alias_id,) = [k for k in synth.resources("AWS::Lambda::Alias") if "Webhook" in k]
    (integration,) = synth.resources("AWS::ApiGatewayV2::Integration").values()
    assert integration["Properties"]["IntegrationUri"] == {"Ref": alias_id}


def test_stage_has_access_logs_and_throttling(synth):
    stage = synth.one("AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    log_fields = json.loads(stage["AccessLogSettings"]["Format"])
    assert {"requestId", "status", "routeKey"} <= set(log_fields)
    assert "Fn::GetAtt" in stage["AccessLogSettings"]["DestinationArn"]


def test_outputs_give_the_operator_what_to_paste(synth):
    outputs = synth.raw["Outputs"]
    (api_id,) = synth.resources("AWS::ApiGatewayV2::Api")
    assert outputs["WebhookUrl"]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/voice"]]
    }
    assert outputs["BridgeUrl"]["Value"] == "wss://bridge.example.com/media-stream"
    (table_id,) = synth.resources("AWS::DynamoDB::Table")
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
