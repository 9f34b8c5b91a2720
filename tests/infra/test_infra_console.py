"""The console's AWS side: private bucket behind CloudFront OAC with security headers, Cognito,
the JWT authorizer on every /admin route, the WebSocket API and the stream fan-out."""

from __future__ import annotations

import json

import pytest

from infra import constants as c

pytestmark = pytest.mark.infra


def _site_bucket(synth):
    (bucket_id,) = [
        k
        for k, v in synth.resources("AWS::S3::Bucket").items()
        if k.startswith("ConsoleSiteFiles") and "LoggingConfiguration" in v["Properties"]
    ]
    return bucket_id, synth.raw["Resources"][bucket_id]["Properties"]


def test_bucket_is_private_encrypted_and_served_only_through_oac(synth):
    bucket_id, props = _site_bucket(synth)
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "BucketEncryption" in props and "WebsiteConfiguration" not in props
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in json.dumps(allows[0]["Condition"])
    denies = [s for s in policy if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    oac = synth.one("AWS::CloudFront::OriginAccessControl")["Properties"]
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    dist = synth.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    (s3_origin,) = [o for o in dist["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert "OriginAccessControlId" in s3_origin


def test_distribution_sends_security_headers_and_admin_to_the_api(synth):
    policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")["Properties"]
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    csp = json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "cognito-idp." in csp and "ApiEndpoint" in csp  # the WebSocket API's wss:// URL
    # Recordings play from the recordings bucket's regional host and from Twilio, nothing else.
    media = next(d for d in csp.split(";") if "media-src" in d)
    assert "RecordingsBucket" in media and ".s3." in media and "https://api.twilio.com" in media
    dist = synth.one("AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    (admin,) = dist["CacheBehaviors"]
    assert admin["PathPattern"] == "/admin/*"
    assert admin["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    # AllViewerExceptHostHeader: the Authorization header reaches API Gateway, Host does not.
    assert admin["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert {"POST", "PUT"} <= set(admin["AllowedMethods"])
    for behaviour in (admin, dist["DefaultCacheBehavior"]):
        assert "ResponseHeadersPolicyId" in behaviour


def test_every_admin_route_has_the_cognito_jwt_authorizer(synth):
    (authorizer_id, authorizer) = next(
        iter(synth.resources("AWS::ApiGatewayV2::Authorizer").items())
    )
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    (pool_id,) = synth.resources("AWS::Cognito::UserPool")
    (client_id,) = synth.resources("AWS::Cognito::UserPoolClient")
    jwt = authorizer["Properties"]["JwtConfiguration"]
    assert jwt["Audience"] == [{"Ref": client_id}]
    assert pool_id in json.dumps(authorizer["Properties"]["JwtConfiguration"]["Issuer"])
    admin = [
        r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
        if "/admin" in r["Properties"]["RouteKey"]
    ]
    assert sorted(r["RouteKey"] for r in admin) == sorted(f"{m} {p}" for m, p in c.ADMIN_ROUTES)
    for route in admin:
        assert route["AuthorizationType"] == "JWT"
        assert route["AuthorizerId"] == {"Ref": authorizer_id}


def test_staff_pool_is_invitation_only_with_groups_and_a_public_client(synth):
    pool = synth.one("AWS::Cognito::UserPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    groups = {
        g["Properties"]["GroupName"]
        for g in synth.resources("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == set(c.STAFF_GROUPS)
    client = synth.one("AWS::Cognito::UserPoolClient")["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def _live_handler(synth, module):
    handler = c.LIVE_HANDLER.format(module=module)
    (fn_id,) = [
        k
        for k, v in synth.resources("AWS::Lambda::Function").items()
        if v["Properties"].get("Handler") == handler
    ]
    return fn_id


def test_websocket_routes_invoke_their_lambdas_and_the_stage_logs_and_throttles(synth):
    (api_id,) = [
        k
        for k, v in synth.resources("AWS::ApiGatewayV2::Api").items()
        if v["Properties"]["ProtocolType"] == "WEBSOCKET"
    ]
    integrations = synth.resources("AWS::ApiGatewayV2::Integration")
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == {"Ref": api_id}
    }
    assert set(routes) == {"$connect", "$disconnect"}
    for key, module in (("$connect", "connect"), ("$disconnect", "disconnect")):
        target = routes[key]["Target"]["Fn::Join"][1][1]["Ref"]
        assert _live_handler(synth, module) in json.dumps(integrations[target]["Properties"])
    (stage,) = [
        s["Properties"]
        for s in synth.resources("AWS::ApiGatewayV2::Stage").values()
        if s["Properties"]["ApiId"] == {"Ref": api_id}
    ]
    assert stage["StageName"] == c.LIVE_STAGE
    assert "ThrottlingRateLimit" in stage["DefaultRouteSettings"]
    assert "token" not in stage["AccessLogSettings"]["Format"]


def test_fanout_may_manage_connections_of_that_api_only(synth):
    fanout = _live_handler(synth, "fanout")
    role = synth.raw["Resources"][fanout]["Properties"]["Role"]["Fn::GetAtt"][0]
    manage = [
        (policy_id, s)
        for policy_id, p in synth.resources("AWS::IAM::Policy").items()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "execute-api:ManageConnections" in json.dumps(s["Action"])
    ]
    ((policy_id, statement),) = manage
    assert synth.raw["Resources"][policy_id]["Properties"]["Roles"] == [{"Ref": role}]
    assert statement["Action"] == "execute-api:ManageConnections"
    resource = json.dumps(statement["Resource"])
    assert "/live/POST/@connections/*" in resource and "Live" in resource


def test_the_table_streams_call_items_to_the_fanout(synth):
    table = synth.one("AWS::DynamoDB::Table")["Properties"]
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    (mapping,) = [
        m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": _live_handler(synth, "fanout")}
    ]
    assert "StreamArn" in json.dumps(mapping["EventSourceArn"])
    (pattern,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {
        "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "CALL#"}]}}}
    }


def test_config_json_and_the_console_url_are_deployed(synth):
    deployment = synth.one("Custom::CDKBucketDeployment")["Properties"]
    assert len(deployment["SourceBucketNames"]) == 2  # console/ and the generated config.json
    markers = json.dumps(deployment.get("SourceMarkers", []))
    assert "UserPoolClient" in markers or "Console" in markers
    assert "ConsoleUrl" in synth.raw["Outputs"]
