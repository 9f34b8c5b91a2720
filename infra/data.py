"""The CRM table and the only way principals get access to it.

One table, keys exactly as `pitstop/dal/keys.py` builds them. Access is granted per principal
with an explicit list of item-level actions (no `dynamodb:*`, no table management, no Scan): the
list is what that component's code path calls, nothing more. Transactions need no action of
their own: TransactWriteItems is authorised per item as Put/Update/Delete/ConditionCheckItem.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra import nag

PK, SK, GSI1, GSI1_PK, GSI1_SK, TTL = "pk", "sk", "gsi1", "gsi1pk", "gsi1sk", "ttl"

# What each component does to the table (read = GetItem/Query on keys; no Scan anywhere).
WEBHOOK_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")
TOOLS_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
)
REMINDERS_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
BRIDGE_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")
# After a call: read the record's transcript, tools, message and the prices; write summary + cost.
AFTER_CALL_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")


class CrmTable(Construct):
    """On-demand, PITR, encrypted, deletion-protected, retained: it holds the shop's customers."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=PK, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=SK, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            # AWS-owned keys would not show up in CloudTrail; the AWS-managed key does, at no
            # key-policy maintenance cost.
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            # Call records and transcripts expire; customers and appointments carry no `ttl`.
            time_to_live_attribute=TTL,
            # The console's live view: call changes → the fan-out Lambda → `@connections`.
            stream=dynamodb.StreamViewType.NEW_IMAGE,
        )
        nag.acknowledge_checkov(
            self,
            "AWS::DynamoDB::Table",
            {
                "CKV_AWS_119": (
                    "Encrypted with the AWS-managed DynamoDB key (SSE-KMS, its use visible in "
                    "CloudTrail); who reads the table is decided by IAM grants naming each "
                    "action, and a customer-managed key would repeat that in a key policy at a "
                    "monthly cost."
                )
            },
        )
        self.table.add_global_secondary_index(
            index_name=GSI1,
            partition_key=dynamodb.Attribute(name=GSI1_PK, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=GSI1_SK, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    @property
    def table_name(self) -> str:
        return self.table.table_name

    def grant(self, role: iam.IRole, actions: Sequence[str], sid: str) -> None:
        """Allow exactly `actions` on the table and its indexes (the GSI is a Query target)."""
        if any(a == "*" or a.endswith(":*") for a in actions):
            raise ValueError("table grants name their actions; wildcards are not allowed")
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=sid,
                actions=list(actions),
                resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
            )
        )
        # `<table>/index/*` is the documented way to allow Query on the table's indexes.
        nag.acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::{nag.arn_token(self.table)}/index/*]": (
                    "Query on the CRM table's secondary index: the resource is this one table's "
                    "index ARN prefix and the actions are the listed item-level calls."
                )
            },
        )
