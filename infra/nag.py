"""cdk-nag (AwsSolutions) wiring and the one way this project acknowledges a finding.

cdk-nag 3 runs as a CDK policy-validation plugin: synthesis fails while any error finding is
unacknowledged, so `cdk synth` passing means the report is clean. cdk-nag 3 replaced v2's
`NagSuppressions` with CDK's `Validations.of(construct).acknowledge(...)`; an acknowledgment
covers the construct and everything under it, and IAM5 findings are acknowledged one by one
(`AwsSolutions-IAM5[Resource::...]`) so a new wildcard can never slip in under an old reason.

checkov (`make scan`, tests/infra/test_infra_scan.py) reads its acknowledgments from each
resource's own template metadata (`Metadata: checkov: skip: [{id, comment}]`), so
`acknowledge_checkov` writes them there, on the resources of one CloudFormation type under a
scope, with the same rule: every one carries a written reason.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    Aspects,
    CfnElement,
    CfnResource,
    IAspect,
    Stack,
    Token,
    Validations,
)
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

CHECKOV_METADATA = "checkov"


def enable_checks(app: App) -> None:
    """Run the AwsSolutions rule pack over the whole app at synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))


def acknowledge(scope: IConstruct, reasons: dict[str, str]) -> None:
    """Acknowledge findings on `scope` (and its children); every one needs a written reason."""
    for rule, reason in reasons.items():
        Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=_reason(rule, reason)))


def acknowledge_checkov(scope: IConstruct, cfn_type: str, reasons: dict[str, str]) -> None:
    """Acknowledge checkov findings on every `cfn_type` resource under `scope`, made now or later.

    An aspect, so resources CDK adds after this call (its own helper functions) are covered too.
    """
    skips = [{"id": rule, "comment": _reason(rule, reason)} for rule, reason in reasons.items()]
    Aspects.of(scope).add(_CheckovSkips(cfn_type, skips))


@jsii.implements(IAspect)
class _CheckovSkips:
    def __init__(self, cfn_type: str, skips: list[dict[str, str]]) -> None:
        self._cfn_type = cfn_type
        self._skips = skips

    def visit(self, node: IConstruct) -> None:
        if isinstance(node, CfnResource) and node.cfn_resource_type == self._cfn_type:
            current: dict[str, Any] = node.get_metadata(CHECKOV_METADATA) or {}
            skips = list(current.get("skip", []))
            known = {skip["id"] for skip in skips}
            skips += [skip for skip in self._skips if skip["id"] not in known]
            node.add_metadata(CHECKOV_METADATA, {"skip": skips})


def _reason(rule: str, reason: str) -> str:
    if len(reason.strip()) < 20:
        raise ValueError(f"{rule}: a suppression needs a real reason, got {reason!r}")
    return reason


def logical_id_token(construct: IConstruct) -> str:
    """How cdk-nag writes a Ref of `construct` inside an ARN in a finding: `<LogicalId>`."""
    return f"<{_logical_id(construct)}>"


def env_tokens(stack: Stack) -> tuple[str, str, str]:
    """Partition, region and account as cdk-nag writes them in a finding (literal when known)."""
    return tuple(  # type: ignore[return-value]
        f"<AWS::{name}>" if Token.is_unresolved(value) else value
        for name, value in (
            ("Partition", stack.partition),
            ("Region", stack.region),
            ("AccountId", stack.account),
        )
    )


def arn_token(construct: IConstruct) -> str:
    """How cdk-nag writes `construct`'s ARN in an IAM5 finding: `<LogicalId.Arn>`."""
    return f"<{_logical_id(construct)}.Arn>"


def _logical_id(construct: IConstruct) -> str:
    resource = construct.node.default_child
    if not isinstance(resource, CfnElement):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource to name")
    return Stack.of(resource).get_logical_id(resource)
