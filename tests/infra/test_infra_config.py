"""Context: cdk.json and the code agree on defaults; `-c` strings are parsed and validated."""

from __future__ import annotations

import pytest

from infra.config import PLACEHOLDER_CERTIFICATE_ARN, ConfigError, PitstopConfig
from tests.infra.conftest import cdk_json_context

pytestmark = pytest.mark.infra


def test_cdk_json_carries_exactly_the_code_defaults():
    context = {k: v for k, v in cdk_json_context().items() if not k.startswith("@")}
    assert context == PitstopConfig().as_context()


def test_cli_strings_are_coerced():
    config = PitstopConfig.from_mapping(
        {
            "calls_per_second": "2.5",
            "bridge_desired_count": "3",
            "provisioned_concurrency": "0",
            "shop_id": "north-side",
        }
    )
    assert config.calls_per_second == 2.5
    assert config.bridge_desired_count == 3
    assert config.provisioned_concurrency == 0
    assert config.bridge_url == "wss://bridge.example.com/media-stream"


@pytest.mark.parametrize(
    "values",
    [
        {"twilio_number": "555-0100"},
        {"twilio_number": "+1"},
        {"domain_name": "https://bridge.example.com"},
        {"certificate_arn": "not-an-arn"},
        {"timezone": "EST"},
        {"calls_per_second": "0"},
        {"bridge_desired_count": "20"},
        {"log_retention_days": "31"},
        {"cold_start": "warm"},
        {"hosted_zone_id": "Z123"},
        {"bridge_desired_count": "many"},
    ],
)
def test_bad_values_fail_at_synth(values):
    with pytest.raises(ConfigError):
        PitstopConfig.from_mapping(values)


def test_placeholder_certificate_is_flagged():
    assert PitstopConfig().uses_placeholder_certificate
    real = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    assert real != PLACEHOLDER_CERTIFICATE_ARN
    assert not PitstopConfig.from_mapping({"certificate_arn": real}).uses_placeholder_certificate
