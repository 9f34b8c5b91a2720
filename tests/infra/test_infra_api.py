"""The webhook HTTP API: exactly the Twilio routes, logged and throttled; no way to the tools."""

from __future__ import annotations

import json

import pytest

from infra import constants as c

pytestmark = pytest.mark.infra


def _http_api_id(synth):
    """The webhook HTTP API (the console's WebSocket API is the other ApiGatewayV2 API)."""
    (api_id,) = [
        k
        for k, v in synth.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == "HTTP"
    ]
    return api_id


def _of_http_api(synth, cfn_type):
    api = {"Ref": _http_api_id(synth)}
    return {k: v for k, v in synth.resources(cfn_type).items() if v["Properties"]["ApiId"] == api}


def _webhook_integrations(synth):
    return [
        i
        for i in _of_http_api(synth, "AWS::ApiGatewayV2::Integration").values()
        if "Admin" not in json.dumps(i["Properties"]["IntegrationUri"])
    ]


def test_routes_are_exactly_the_webhook_routes_and_the_admin_routes(synth):
    keys = sorted(
        r["Properties"]["RouteKey"]
        for r in _of_http_api(synth, "AWS::ApiGatewayV2::Route").values()
    )
    routes = c.WEBHOOK_ROUTES + c.ADMIN_ROUTES
    assert keys == sorted(f"{method} {path}" for method, path in routes)


def test_no_route_reaches_the_tools_function(synth):
    routes = synth.resources("AWS::ApiGatewayV2::Route").values()
    assert not any("tools" in r["Properties"]["RouteKey"].lower() for r in routes)
    assert not any(r["Properties"]["RouteKey"] == "$default" for r in routes)
    for integration in _webhook_integrations(synth):
        uri = json.dumps(integration["Properties"]["IntegrationUri"])
        assert "Webhook" in uri and "Tools" not in uri


def test_integration_invokes_the_warm_alias(synth):
    (alias_id,) = [k for k in synth.resources("AWS::Lambda::Alias") if "Webhook" in k]
    (integration,) = _webhook_integrations(synth)
    assert integration["Properties"]["IntegrationUri"] == {"Ref": alias_id}


def test_stage_has_access_logs_and_throttling(synth):
    (stage,) = [s["Properties"] for s in _of_http_api(synth, "AWS::ApiGatewayV2::Stage").values()]
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50}
    log_fields = json.loads(stage["AccessLogSettings"]["Format"])
    assert {"requestId", "status", "routeKey"} <= set(log_fields)
    assert "Fn::GetAtt" in stage["AccessLogSettings"]["DestinationArn"]


def test_outputs_give_the_operator_what_to_paste(synth):
    outputs = synth.raw["Outputs"]
    api_id = _http_api_id(synth)
    assert outputs["WebhookUrl"]["Value"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [api_id, "ApiEndpoint"]}, "/voice"]]
    }
    assert outputs["BridgeUrl"]["Value"] == "wss://bridge.example.com/media-stream"
    (table_id,) = synth.resources("AWS::DynamoDB::Table")
    assert outputs["TableName"]["Value"] == {"Ref": table_id}
