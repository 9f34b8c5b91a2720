"""The console's site: the static files of `console/` in a private bucket, behind CloudFront.

Served only through CloudFront with origin access control; CloudFront also sends `/admin/*` to
the HTTP API, so the browser talks to one origin (no CORS). Every answer carries security
headers; the CSP allows this origin, the live view's WebSocket API, Cognito's endpoint and
the bridge's `wss://.../media-stream` (the test-call page's browser phone streams to it).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import constants as c
from infra import nag
from infra.access_logs import access_log_bucket
from infra.bundling import REPO_ROOT
from infra.live_view import LiveView
from infra.staff_pool import StaffPool
from infra.webhook_api import WebhookApi


def _acknowledge_deployment_handler(
    deployment: s3deploy.BucketDeployment, bucket: s3.Bucket
) -> None:
    """CDK's own BucketDeployment Lambda (a singleton at stack level, not under our construct)."""
    stack = Stack.of(deployment)
    handler = next(
        child
        for child in stack.node.children
        if child.node.id.startswith("Custom::CDKBucketDeployment")
    )
    partition, region, account = nag.env_tokens(stack)
    copy = (
        "CDK's BucketDeployment handler copies the console's files from the CDK asset bucket "
        "into the console bucket and invalidates the distribution: "
    )
    wildcard_reason = copy + "CDK grants the s3 read/write action groups on these two buckets."
    nag.acknowledge(
        handler,
        {
            "AwsSolutions-L1": copy + "its runtime is pinned by aws-cdk-lib, not by us.",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": copy + "the managed policy only writes its logs.",
            "AwsSolutions-IAM5[Resource::*]": (
                copy + "cloudfront:CreateInvalidation/GetInvalidation (no resource scoping)."
            ),
            f"AwsSolutions-IAM5[Resource::{nag.arn_token(bucket)}/*]": wildcard_reason,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::cdk-hnb659fds-assets-{account}-"
            f"{region}/*]": wildcard_reason,
            **{
                f"AwsSolutions-IAM5[Action::s3:{group}*]": wildcard_reason
                for group in ("GetBucket", "GetObject", "List", "Abort", "DeleteObject")
            },
        },
    )
    nag.acknowledge_checkov(
        handler,
        "AWS::IAM::Policy",
        {
            "CKV_AWS_111": copy
            + "cloudfront:CreateInvalidation has no resource scoping, so CDK grants it on *.",
        },
    )


class ConsoleSite(Construct):
    """Private bucket → CloudFront (OAC, security headers); `/admin/*` → the HTTP API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: WebhookApi,
        live: LiveView,
        staff: StaffPool,
        bridge_url: str,
        media_origins: list[str],
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.logs = access_log_bucket(
            self,
            "Logs",
            # CloudFront's standard logs are written with an ACL: the one thing that needs it.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            not_logged_because=(
                "This is the access-log bucket of the console's bucket and distribution; "
                "logging it into itself would loop."
            ),
        )
        self.bucket = s3.Bucket(
            self,
            "Files",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            # Versioned: a bad deploy (it prunes) can be rolled back for a month.
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        headers = self._security_headers(live, bridge_url, media_origins)
        admin_origin = origins.HttpOrigin(
            # https://<id>.execute-api.<region>.amazonaws.com → the host name
            _host(api.endpoint),
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="Pitstop console",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers,
            ),
            additional_behaviors={
                "/admin/*": cloudfront.BehaviorOptions(
                    origin=admin_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    # Authorization included; Host would make API Gateway refuse the request.
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                    response_headers_policy=headers,
                )
            },
        )
        default_certificate = (
            "Served on the distribution's own *.cloudfront.net name, whose default "
            "certificate fixes the minimum TLS policy; a custom domain with an ACM "
            "certificate in us-east-1 is what raises it."
        )
        no_web_acl = (
            "No WAF web ACL (a fixed monthly cost per shop): the files are static, every "
            "/admin route is behind the Cognito JWT authorizer and the HTTP API stage "
            "throttles; a shop whose policy requires a web ACL can attach one."
        )
        nag.acknowledge(
            self.distribution,
            {
                "AwsSolutions-CFR4": default_certificate,
                "AwsSolutions-CFR1": (
                    "No geo restriction: the shop's staff sign in from wherever they are (the "
                    "workshop, home, travelling); every /admin request needs a staff token."
                ),
                "AwsSolutions-CFR2": no_web_acl,
            },
        )
        nag.acknowledge_checkov(
            self.distribution,
            "AWS::CloudFront::Distribution",
            {
                "CKV_AWS_68": no_web_acl,
                "CKV_AWS_174": default_certificate,
            },
        )
        deployment = s3deploy.BucketDeployment(
            self,
            "Deploy",
            sources=[
                s3deploy.Source.asset(str(REPO_ROOT / c.CONSOLE_DIR)),
                s3deploy.Source.json_data("config.json", _console_config(live, staff)),
            ],
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            memory_limit=256,
            log_group=logs.LogGroup(
                self, "DeployLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
            ),
        )
        _acknowledge_deployment_handler(deployment, self.bucket)

    def _security_headers(
        self, live: LiveView, bridge_url: str, media_origins: list[str]
    ) -> cloudfront.ResponseHeadersPolicy:
        connect = f"'self' {live.api.api_endpoint} {_cognito_endpoint()} {bridge_url}"
        csp = "; ".join(
            [
                "default-src 'self'",
                f"connect-src {connect}",
                "img-src 'self' data:",
                # Recordings: presigned S3 URLs, and Twilio's of calls the bridge did not carry.
                f"media-src 'self' {' '.join(media_origins)}",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
        return cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment="Pitstop console security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    override=True,
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
            ),
        )

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}/"


def _cognito_endpoint() -> str:
    return f"https://cognito-idp.{Aws.REGION}.amazonaws.com/"


def _host(url: str) -> str:
    return Fn.select(2, Fn.split("/", url))


def _console_config(live: LiveView, staff: StaffPool) -> dict[str, object]:
    """`config.json` as console/api.js and live.js read it (the local stack writes the same)."""
    return {
        "environment": "aws",
        "liveUrl": live.stage.url,
        "region": Aws.REGION,
        "auth": {
            "endpoint": _cognito_endpoint(),
            "clientId": staff.client.user_pool_client_id,
            "userPoolId": staff.pool.user_pool_id,
        },
    }
