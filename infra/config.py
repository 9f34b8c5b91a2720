"""Deployment settings, read from CDK context (`cdk.json`, overridable with `-c key=value`).

Values given with `-c` arrive as strings, so every field is parsed and validated here, once, and
the constructs only ever see typed values. The defaults below are the ones `cdk.json` carries
(a test keeps the two in step), so `python app.py` and `cdk synth` build the same stack.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Node

PLACEHOLDER_CERTIFICATE_ARN = (
    "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}


class ConfigError(ValueError):
    """A context value is missing or malformed; raised at synth, before anything is deployed."""


@dataclass(frozen=True)
class PitstopConfig:
    """One shop's deployment. Field names are the context keys."""

    stack_name: str = "Pitstop"
    # Used when the CLI has no credentials to tell the region (offline synth); `cdk deploy`
    # uses the region of the credentials/profile (CDK_DEFAULT_REGION) instead.
    region: str = "us-east-1"
    shop_id: str = "demo"
    timezone: str = "America/New_York"
    # The bridge's public name: the ALB certificate must cover it and DNS must point it at the ALB
    # (a Route 53 alias record is created when hosted_zone_id/hosted_zone_name are given).
    domain_name: str = "bridge.example.com"
    certificate_arn: str = PLACEHOLDER_CERTIFICATE_ARN
    hosted_zone_id: str = ""
    hosted_zone_name: str = ""
    # true: the operator created pitstop/openai and pitstop/twilio before deploying and the
    # stack only references them; false: the stack creates them with placeholders.
    import_secrets: bool = False
    twilio_number: str = "+15005550006"
    # Hourly inside calling hours: a run that dies (or stops at its time limit) leaves its rest
    # to the next hour's run, which takes over lapsed claims after reconciling them.
    reminder_schedule: str = "cron(0 10-19 * * ? *)"
    calls_per_second: float = 1.0
    log_level: str = "INFO"
    log_retention_days: int = 30
    alarm_email: str = ""
    # How the call-path functions (webhook, tools) avoid cold starts: provisioned | snapstart |
    # none, and how many warm environments each gets with `provisioned` (see functions.py).
    cold_start: str = "provisioned"
    provisioned_concurrency: int = 1
    api_rate_limit: int = 50
    api_burst_limit: int = 100
    bridge_desired_count: int = 2
    bridge_max_count: int = 10
    bridge_cpu: int = 1024
    bridge_memory_mib: int = 2048
    bridge_cpu_architecture: str = "X86_64"
    bridge_calls_per_task: int = 200
    bridge_cpu_target_percent: int = 60
    bridge_deregistration_delay_seconds: int = 300

    @classmethod
    def from_node(cls, node: Node) -> PitstopConfig:
        """Read every field from the construct tree's context, falling back to the defaults."""
        raw = {f.name: node.try_get_context(f.name) for f in fields(cls)}
        return cls.from_mapping({k: v for k, v in raw.items() if v is not None})

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> PitstopConfig:
        """Coerce context values (strings from `-c`, JSON values from cdk.json) and validate."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in values:
                continue
            kwargs[f.name] = _coerce(f.name, f.type, values[f.name])
        config = cls(**kwargs)
        config.validate()
        return config

    def validate(self) -> None:
        """Fail the synth on the first broken rule, with a message that says how to fix it."""
        for broken, message in self._rules():
            if broken:
                raise ConfigError(message)

    def _rules(self) -> Iterator[tuple[bool, str]]:
        """(is broken, how to fix it) per rule, lazily, in the order the operator reads them."""
        yield (
            not _E164.match(self.twilio_number),
            "twilio_number must be an E.164 number like +15551234567",
        )
        yield (
            not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", self.shop_id),
            "shop_id must be lower-case letters, digits and dashes",
        )
        yield (
            not self.domain_name or "/" in self.domain_name or ":" in self.domain_name,
            "domain_name must be a bare host name, e.g. bridge.myshop.com",
        )
        yield (
            not self.certificate_arn.startswith("arn:")
            or ":certificate/" not in self.certificate_arn,
            "certificate_arn must be an ACM certificate ARN",
        )
        yield (
            not re.match(r"^(cron|rate|at)\(.+\)$", self.reminder_schedule),
            "reminder_schedule must be an EventBridge Scheduler expression",
        )
        yield (
            "/" not in self.timezone and self.timezone != "UTC",
            "timezone must be an IANA name such as America/New_York",
        )
        yield self.calls_per_second <= 0, "calls_per_second must be positive"
        yield (
            self.log_retention_days not in _RETENTION,
            f"log_retention_days must be one of {sorted(_RETENTION)}",
        )
        yield (
            not 1 <= self.bridge_desired_count <= self.bridge_max_count,
            "need 1 <= bridge_desired_count <= bridge_max_count",
        )
        yield (
            self.bridge_cpu_architecture not in ("X86_64", "ARM64"),
            "bridge_cpu_architecture must be X86_64 or ARM64",
        )
        yield (
            not 0 <= self.bridge_deregistration_delay_seconds <= 3600,
            "bridge_deregistration_delay_seconds must be within 0..3600",
        )
        yield (
            self.cold_start not in ("provisioned", "snapstart", "none"),
            "cold_start must be provisioned, snapstart or none",
        )
        yield self.provisioned_concurrency < 0, "provisioned_concurrency must be >= 0"
        yield (
            bool(self.hosted_zone_id) != bool(self.hosted_zone_name),
            "give both hosted_zone_id and hosted_zone_name, or neither",
        )

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @property
    def uses_placeholder_certificate(self) -> bool:
        return self.certificate_arn == PLACEHOLDER_CERTIFICATE_ARN

    @property
    def bridge_url(self) -> str:
        return f"wss://{self.domain_name}/media-stream"

    def as_context(self) -> dict[str, Any]:
        """The defaults in the shape cdk.json stores them (used by tests to keep both in step)."""
        return dataclasses.asdict(self)


def _coerce(name: str, annotation: Any, value: Any) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    try:
        if kind == "int":
            if isinstance(value, bool):
                raise TypeError
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"context value {name}={value!r} is not a valid {kind}") from exc
