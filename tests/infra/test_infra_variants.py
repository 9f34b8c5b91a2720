"""Context switches that change the stack's shape: SnapStart instead of provisioned concurrency,
a Route 53 record when a hosted zone is given, an arm64 bridge, skipped bundling (`make synth`)
and operator-created secrets."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import synthesize

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    return synthesize(
        tmp_path_factory.mktemp("cdk-out-variant"),
        cold_start="snapstart",
        hosted_zone_id="Z0123456789ABCDEFGHIJ",
        hosted_zone_name="example.com",
        domain_name="bridge.example.com",
        bridge_cpu_architecture="ARM64",
    )


def test_snapstart_replaces_provisioned_concurrency(variant):
    assert variant.error is None
    snapped = [
        fn["Properties"]["Handler"]
        for fn in variant.resources("AWS::Lambda::Function").values()
        if fn["Properties"].get("SnapStart") == {"ApplyOn": "PublishedVersions"}
    ]
    assert sorted(snapped) == [
        "functions.tools.handler.lambda_handler",
        "functions.webhook.handler.lambda_handler",
    ]
    for alias in variant.resources("AWS::Lambda::Alias").values():
        assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_bridge_record_points_at_the_load_balancer(variant):
    record = variant.one("AWS::Route53::RecordSet")["Properties"]
    assert record["Name"] == "bridge.example.com."
    assert record["Type"] == "A"
    assert record["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"


def test_arm64_bridge_builds_an_arm64_image(variant):
    (task,) = variant.resources("AWS::ECS::TaskDefinition").values()
    assert task["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "ARM64"


def test_skip_bundling_switch_skips_bundles_and_says_so(tmp_path):
    """`make synth` passes -c skip_bundling=true (a CLI string): no pip runs, and a warning."""
    import aws_cdk as cdk

    from infra.app import build_app
    from tests.infra.conftest import cdk_json_context

    app = cdk.App(context={**cdk_json_context(), "skip_bundling": "true"}, outdir=str(tmp_path))
    app, stack = build_app(app)
    assert app.node.try_get_context("aws:cdk:bundling-stacks") == []
    warnings = [str(m.data) for m in stack.node.metadata if m.type == "aws:cdk:warning"]
    assert any("Lambda bundles were not built" in w for w in warnings)


def test_imported_secrets_are_referenced_not_created(tmp_path):
    """import_secrets=true: the operator made pitstop/openai and pitstop/twilio before deploying."""
    from tests.infra.conftest import synthesize

    imported = synthesize(tmp_path, import_secrets="true")
    assert imported.error is None
    created = [
        s["Properties"]["Name"] for s in imported.resources("AWS::SecretsManager::Secret").values()
    ]
    assert created == ["pitstop/stream-token-key"]
    (task,) = imported.resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    secrets = {s["Name"]: json.dumps(s["ValueFrom"]) for s in container["Secrets"]}
    assert "secret:pitstop/openai" in secrets["OPENAI_API_KEY"]
    assert "secret:pitstop/twilio:account_sid::" in secrets["TWILIO_ACCOUNT_SID"]
