"""cdk-nag (AwsSolutions) wiring and the one way this project acknowledges a finding.

cdk-nag 3 runs as a CDK policy-validation plugin: synthesis fails while any error finding is
unacknowledged, so `cdk synth` passing means the report is clean. cdk-nag 3 replaced v2's
`NagSuppressions` with CDK's `Validations.of(construct).acknowledge(...)`; an acknowledgment
covers the construct and everything under it, and IAM5 findings are acknowledged one by one
(`AwsSolutions-IAM5[Resource::...]`) so a new wildcard can never slip in under an old reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def enable_checks(app: App) -> None:
    """Run the AwsSolutions rule pack over the whole app at synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge findings on `scope` (and its children); every one needs a written reason."""
    for rule, reason in reasons.items():
        if len(reason.strip()) < 20:
            raise ValueError(f"{rule}: a suppression needs a real reason, got {reason!r}")
        Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
