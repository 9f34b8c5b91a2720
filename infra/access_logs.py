"""The one shape of the stack's access-log buckets (the load balancer's, the console's).

Private, SSE-S3 (the only encryption ALB and CloudFront log delivery support), TLS only,
versioned so a deleted or overwritten log is recoverable for a month, expired after 90 days,
retained with the stack. A log bucket does not log access to itself: that is acknowledged to
cdk-nag and checkov with the caller's reason.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import nag


def access_log_bucket(
    scope: Construct,
    construct_id: str,
    *,
    object_ownership: s3.ObjectOwnership,
    not_logged_because: str,
) -> s3.Bucket:
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=object_ownership,
        versioned=True,
        lifecycle_rules=[
            s3.LifecycleRule(
                expiration=Duration.days(90),
                noncurrent_version_expiration=Duration.days(30),
            )
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
    nag.acknowledge(bucket, {"AwsSolutions-S1": not_logged_because})
    nag.acknowledge_checkov(bucket, "AWS::S3::Bucket", {"CKV_AWS_18": not_logged_because})
    return bucket
