"""The media bridge: long-lived WebSockets behind an HTTPS ALB, drained gently, scaled on calls."""

from __future__ import annotations

import json

import pytest

from infra import constants as c
from tests.infra.conftest import bridge_container

pytestmark = pytest.mark.infra


def _attributes(resource, key="LoadBalancerAttributes"):
    return {a["Key"]: a["Value"] for a in resource["Properties"][key]}


def test_alb_idle_timeout_fits_a_long_call(synth):
    attrs = _attributes(synth.one("AWS::ElasticLoadBalancingV2::LoadBalancer"))
    assert attrs["idle_timeout.timeout_seconds"] == "3600"
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["access_logs.s3.enabled"] == "true"


def test_only_an_https_listener_and_only_443_open(synth):
    """Twilio only connects wss://, so port 80 is neither listened on nor open (checkov 260)."""
    listeners = {
        listener["Properties"]["Port"]: listener["Properties"]
        for listener in synth.resources("AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert set(listeners) == {443}
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    assert https["Certificates"] == [{"CertificateArn": synth.stack.config.certificate_arn}]
    assert https["DefaultActions"][0]["Type"] == "fixed-response"
    ingress = [
        rule
        for group in synth.resources("AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
        if rule.get("CidrIp") == "0.0.0.0/0"
    ]
    assert {(rule["FromPort"], rule["ToPort"]) for rule in ingress} == {(443, 443)}


def test_every_bucket_is_versioned_and_expires_old_versions(synth):
    for logical_id, bucket in synth.resources("AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, logical_id
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in rule for rule in rules), logical_id


def test_only_bridge_paths_are_forwarded(synth):
    rule = synth.one("AWS::ElasticLoadBalancingV2::ListenerRule")["Properties"]
    (condition,) = rule["Conditions"]
    assert condition["Field"] == "path-pattern"
    assert set(condition["PathPatternConfig"]["Values"]) == {
        "/media-stream",
        "/media-stream/*",
        "/health",
    }


def test_target_group_drains_and_checks_health(synth):
    group = synth.one("AWS::ElasticLoadBalancingV2::TargetGroup")
    props = group["Properties"]
    assert props["Port"] == 8080
    assert props["HealthCheckPath"] == "/health"
    assert (
        _attributes(group, "TargetGroupAttributes")["deregistration_delay.timeout_seconds"] == "300"
    )


def test_container_stop_timeout_and_port(synth):
    container = bridge_container(synth)
    assert container["StopTimeout"] == 120
    assert container["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_secrets_are_ecs_secrets_never_plain_environment(synth):
    container = bridge_container(synth)
    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert set(secrets) == set(c.SECRET_ENV_NAMES)
    assert secrets["TWILIO_ACCOUNT_SID"]["Fn::Join"][1][1] == ":account_sid::"
    assert secrets["TWILIO_AUTH_TOKEN"]["Fn::Join"][1][1] == ":auth_token::"
    environment = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert not set(environment) & set(c.SECRET_ENV_NAMES)
    text = json.dumps(environment)
    assert "resolve:secretsmanager" not in text and "REPLACE_ME" not in text


def test_bridge_environment(synth):
    environment = {e["Name"]: e["Value"] for e in bridge_container(synth)["Environment"]}
    assert environment[c.ENV_TOOLS_AUTH] == "iam"
    assert environment[c.ENV_BRIDGE_PORT] == "8080"
    assert environment["POWERTOOLS_SERVICE_NAME"] == "media_bridge"
    (url_id,) = synth.resources("AWS::Lambda::Url")
    assert environment[c.ENV_TOOLS_URL] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [url_id, "FunctionUrl"]}, "tools"]]
    }


def test_cluster_has_container_insights(synth):
    settings = synth.one("AWS::ECS::Cluster")["Properties"]["ClusterSettings"]
    assert {"Name": "containerInsights", "Value": "enabled"} in settings


def test_service_count_belongs_to_autoscaling(synth):
    service = synth.one("AWS::ECS::Service")["Properties"]
    assert "DesiredCount" not in service
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 100
    assert service["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"
    target = synth.one("AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert target["MinCapacity"] == 2 and target["MaxCapacity"] == 10


def test_scales_on_live_calls_per_task_and_cpu(synth):
    policies = [
        p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in synth.resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    ]
    custom = [
        p["CustomizedMetricSpecification"] for p in policies if "CustomizedMetricSpecification" in p
    ]
    assert custom == [
        {
            "Dimensions": [{"Name": "service", "Value": "media_bridge"}],
            "MetricName": "LiveCalls",
            "Namespace": "Pitstop",
            "Statistic": "Average",
        }
    ]
    predefined = [
        p["PredefinedMetricSpecification"]["PredefinedMetricType"]
        for p in policies
        if "PredefinedMetricSpecification" in p
    ]
    assert predefined == ["ECSServiceAverageCPUUtilization"]


def test_log_groups_have_retention(synth):
    for logical_id, group in synth.resources("AWS::Logs::LogGroup").items():
        assert group["Properties"].get("RetentionInDays") == 30, logical_id


def test_image_context_ships_only_the_bridge_and_shared_package(synth):
    assets = json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())
    (image,) = assets["dockerImages"].values()
    assert image["source"]["dockerFile"] == c.BRIDGE_DOCKERFILE
    context = synth.outdir / image["source"]["directory"]
    shipped = {p.relative_to(context).as_posix() for p in context.rglob("*") if p.is_file()}
    assert c.BRIDGE_DOCKERFILE in shipped
    assert "containers/media_bridge/requirements.txt" in shipped
    assert not any(
        p.startswith(("pitstop_local/", "tests/", ".venv/", "functions/", "infra/"))
        for p in shipped
    )
    assert not any("__pycache__" in p for p in shipped)
