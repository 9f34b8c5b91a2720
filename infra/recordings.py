"""The call recordings bucket: the bridge writes each recorded call here, the console plays it
through a short-lived presigned URL from the admin function.

Private and TLS only; encrypted with its own customer-managed KMS key (bucket key on: one KMS
call per upload, not per part), so reading a recording takes a grant on the key as well as on
the bucket, and every use of the key is in CloudTrail. Versioned like the stack's other
buckets, but an overwritten or deleted recording is gone a day later, not a month: retention
is a promise to callers. Access is logged to a log bucket of the stack's one shape.

Retention: the shop's `recording_retention_days` is a setting, changed without a deploy, and a
lifecycle rule is not. So there is one rule per period of `pitstop.recordings.RETENTION_DAYS`,
matching the object tag the bridge sets on upload (the longest period not over the shop's
setting), and a last rule that deletes anything after the longest period, tagged or not.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import nag
from infra.access_logs import access_log_bucket
from pitstop.recordings import RETENTION_DAYS, RETENTION_TAG

PREFIX = "calls/"  # pitstop.recordings.recording_key puts every recording under it
NONCURRENT_DAYS = 1
# What the bridge needs for a managed upload: single PUT or multipart, with the retention tag.
WRITE_ACTIONS = ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload")
# SSE-KMS: a data key per object; a multipart upload also decrypts it to finish the parts.
WRITE_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
READ_ACTIONS = ("s3:GetObject",)
READ_KEY_ACTIONS = ("kms:Decrypt",)


def lifecycle_rules() -> list[s3.LifecycleRule]:
    """One expiry per retention tag, the longest as a ceiling for every object, and the clean-up
    of what versioning and failed uploads leave behind."""
    rules = [
        s3.LifecycleRule(
            id=f"Retain{days}Days",
            prefix=PREFIX,
            tag_filters={RETENTION_TAG: str(days)},
            expiration=Duration.days(days),
            noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
        )
        for days in RETENTION_DAYS
    ]
    rules.append(
        s3.LifecycleRule(
            id="AtMostTheLongestRetention",
            expiration=Duration.days(max(RETENTION_DAYS)),
            noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS),
            abort_incomplete_multipart_upload_after=Duration.days(1),
        )
    )
    rules.append(
        s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True)
    )
    return rules


class RecordingsBucket(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Pitstop call recordings",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=lifecycle_rules(),
            server_access_logs_bucket=access_log_bucket(
                self,
                "AccessLogs",
                object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
                not_logged_because=(
                    "This bucket receives the recordings bucket's access logs; logging access "
                    "to the log bucket itself would only log the log writes."
                ),
            ),
            server_access_logs_prefix="recordings/",
            removal_policy=RemovalPolicy.RETAIN,
        )

    @property
    def bucket_name(self) -> str:
        return self.bucket.bucket_name

    @property
    def origin(self) -> str:
        """Where a presigned recording URL points: the admin API signs regional, virtual-hosted
        URLs (spelled out: CloudFormation's RegionalDomainName differs in us-east-1)."""
        return f"https://{self.bucket.bucket_name}.s3.{Stack.of(self).region}.amazonaws.com"

    def grant_write(self, role: iam.IRole, sid: str) -> None:
        """Upload recordings (the bridge), nothing else: no read, no list, no delete."""
        self._grant(role, sid, WRITE_ACTIONS, WRITE_KEY_ACTIONS)

    def grant_read(self, role: iam.IRole, sid: str) -> None:
        """Read recordings (the admin function presigns GETs with its own permissions)."""
        self._grant(role, sid, READ_ACTIONS, READ_KEY_ACTIONS)

    def _grant(
        self,
        role: iam.IRole,
        sid: str,
        actions: tuple[str, ...],
        key_actions: tuple[str, ...],
    ) -> None:
        objects = self.bucket.arn_for_objects(f"{PREFIX}*")
        role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=list(actions), resources=[objects])
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid=f"{sid}Key", actions=list(key_actions), resources=[self.key.key_arn]
            )
        )
        nag.acknowledge(
            role,
            {
                f"AwsSolutions-IAM5[Resource::{nag.arn_token(self.bucket)}/{PREFIX}*]": (
                    "Recordings are one object per call stream under the recordings bucket's "
                    "calls/ prefix; the actions are the listed object-level calls only."
                )
            },
        )
