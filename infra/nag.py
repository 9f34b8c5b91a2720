"""cdk-nag (AwsSolutions) wiring and the one way this project acknowledges a finding.

cdk-nag 3 runs as a CDK policy-validation plugin: synthesis fails while any error finding is
unacknowledged, so `cdk synth` passing means the report is clean. cdk-nag 3 replaced v2's
`NagSuppressions` with CDK's `Validations.of(construct).acknowledge(...)`; an acknowledgment
covers the construct and everything under it, and IAM5 findings are acknowledged one by one
(`AwsSolutions-IAM5[Resource::...]`) so a new wildcard can never slip in under an old reason.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
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


def arn_token(construct: IConstruct) -> str:
    """How cdk-nag writes `construct`'s ARN in an IAM5 finding: `<LogicalId.Arn>`."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    return f"<{Stack.of(resource).get_logical_id(resource)}.Arn>"
