"""Builds the CDK app: context → PitstopConfig → PitstopStack, with cdk-nag on every synth.

`app.py` at the repository root (the `cdk.json` entry point) only calls `build_app()`; the
tests call it too, so they check exactly the app `cdk synth` produces.
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from infra.config import PitstopConfig
from infra.nag import enable_checks
from infra.stack import PitstopStack

BUNDLING_STACKS = "aws:cdk:bundling-stacks"
_TRUE = ("1", "true", "yes")


def build_app(app: cdk.App | None = None) -> tuple[cdk.App, PitstopStack]:
    """The app with its one stack. `-c skip_bundling=true` synthesises without Lambda bundles
    (no pip, no network): the template is complete and checked, the assembly not deployable."""
    app = app or cdk.App()
    skip_bundling = str(app.node.try_get_context("skip_bundling")).lower() in _TRUE
    if skip_bundling:
        app.node.set_context(BUNDLING_STACKS, [])
    config = PitstopConfig.from_node(app.node)
    stack = PitstopStack(
        app,
        config.stack_name,
        config=config,
        description=f"Pitstop AI phone receptionist for shop {config.shop_id}",
        # Account and region come from the CLI's credentials at deploy time. Offline, the
        # account stays unknown (AZs resolve at deploy time) and the region falls back to the
        # `region` context value (the ALB's access-log bucket policy is region-specific).
        env=cdk.Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION") or config.region,
        ),
    )
    if skip_bundling:
        cdk.Annotations.of(stack).add_warning_v2(
            "pitstop:bundling-skipped",
            "Lambda bundles were not built (-c skip_bundling=true): this assembly is for "
            "checks only. Deploy without skip_bundling.",
        )
    enable_checks(app)
    return app, stack
