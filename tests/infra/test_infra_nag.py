"""cdk-nag AwsSolutions: the synthesised app has no unacknowledged error."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from infra.nag import acknowledge, enable_checks

pytestmark = pytest.mark.infra


def _errors(report):
    return [
        (violation["ruleName"], c["constructPath"])
        for plugin in report.get("pluginReports", [])
        for violation in plugin.get("violations", [])
        if violation.get("severity") == "error"
        for c in violation.get("violatingConstructs", [])
    ]


def test_stack_has_no_unacknowledged_nag_errors(synth):
    assert synth.error is None, _errors(synth.report) or synth.error
    assert _errors(synth.report) == []


def test_the_checks_really_run(tmp_path):
    """Negative control: the same wiring fails a stack that breaks an AwsSolutions rule."""
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bad")
    sqs.Queue(stack, "PlainQueue")
    enable_checks(app)
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


def test_an_acknowledgment_needs_a_reason(tmp_path):
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "S")
    with pytest.raises(ValueError, match="needs a real reason"):
        acknowledge(stack, {"AwsSolutions-SQS3": "ok"})
