"""The shop's console on AWS: the site, the staff's sign-in, the admin API and the live view.

* Site: the static files of `console/` in a private bucket, served only through CloudFront with
  origin access control; CloudFront also sends `/admin/*` to the HTTP API, so the browser talks
  to one origin (no CORS). Every answer carries security headers; the CSP allows this origin,
  the live view's WebSocket API and Cognito's endpoint, nothing else.
* Sign-in: a Cognito user pool the stack creates. Staff are invited by an administrator (no
  self sign-up); groups `owners` (may change settings) and `advisors`. The console signs in with
  USER_PASSWORD_AUTH against a public app client (a browser cannot keep a secret).
* Admin API: the admin Lambda on the webhook's HTTP API, every `/admin` route behind a JWT
  authorizer of that pool and client.
* Live view: an API Gateway WebSocket API (`$connect` checks the token, connections kept in the
  table with a TTL) and a fan-out Lambda on the table's stream posting call changes to
  `@connections`.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra import constants as c
from infra import data, nag
from infra.bundling import REPO_ROOT
from infra.config import PitstopConfig
from infra.functions import PitstopFunction, PitstopFunctions
from infra.secrets import PitstopSecrets
from infra.webhook_api import AccessLogSettings, WebhookApi

# The admin routes run the same domain logic as the tools (booking moves are conditional writes).
ADMIN_ACTIONS = data.TOOLS_ACTIONS
CONNECT_ACTIONS = ("dynamodb:PutItem",)
DISCONNECT_ACTIONS = ("dynamodb:DeleteItem",)
FANOUT_ACTIONS = ("dynamodb:Query", "dynamodb:DeleteItem")

# WebSocket access log: who connected when and how it ended; never the query string (the token).
LIVE_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "eventType": "$context.eventType",
    "connectionId": "$context.connectionId",
    "status": "$context.status",
    "integrationError": "$context.integrationErrorMessage",
}


class StaffPool(Construct):
    """The staff's accounts: invitation only, strong passwords, threat protection enforced."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            user_pool_name="pitstop-staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            user_invitation=cognito.UserInvitationConfig(
                email_subject="Your Pitstop console account",
                email_body=(
                    "You have been invited to the Pitstop console. Sign in as {username} with "
                    "the temporary password {####} and choose your own."
                ),
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # Compromised-credential and adaptive-risk checks (cdk-nag COG3): the Plus plan.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group in c.STAFF_GROUPS:
            cognito.UserPoolGroup(self, f"Group-{group}", user_pool=self.pool, group_name=group)
        self.client = self.pool.add_client(
            "Console",
            auth_flows=cognito.AuthFlow(user_password=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(8),
            id_token_validity=Duration.hours(8),
            refresh_token_validity=Duration.hours(12),
        )
        nag.acknowledge(
            self.pool,
            {
                "AwsSolutions-COG2": (
                    "The console signs in with USER_PASSWORD_AUTH from plain browser code that "
                    "answers no MFA challenge; accounts are invitation-only, passwords are 12+ "
                    "characters of four classes and threat protection blocks risky sign-ins."
                )
            },
        )

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{Aws.REGION}.amazonaws.com/{self.pool.user_pool_id}"


class LiveView(Construct):
    """The WebSocket API, its $connect/$disconnect Lambdas and the stream fan-out Lambda."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        table: data.CrmTable,
        staff: StaffPool,
        common: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        env = {
            c.ENV_TABLE: common[c.ENV_TABLE],
            c.ENV_SHOP_ID: common[c.ENV_SHOP_ID],
            c.ENV_USER_POOL_ID: staff.pool.user_pool_id,
            c.ENV_USER_POOL_CLIENT_ID: staff.client.user_pool_client_id,
        }
        self.connect = self._function("Connect", "connect", config, env, "Live view $connect")
        self.disconnect = self._function(
            "Disconnect", "disconnect", config, env, "Live view $disconnect"
        )
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            description="Pitstop console live view",
            connect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration(
                    "Connect", self.connect.function
                )
            ),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(
                integration=integrations.WebSocketLambdaIntegration(
                    "Disconnect", self.disconnect.function
                )
            ),
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=config.log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=c.LIVE_STAGE,
            auto_deploy=True,
            # A few staff browsers: anything beyond this is not the console.
            throttle=apigwv2.ThrottleSettings(rate_limit=20, burst_limit=40),
            access_log_settings=AccessLogSettings(self.access_logs, LIVE_ACCESS_LOG_FORMAT),
        )
        self.fanout = self._function(
            "Fanout",
            "fanout",
            config,
            {**env, c.ENV_LIVE_ENDPOINT: self.stage.callback_url},
            "Live view: the table's call changes to every open console",
        )
        table.grant(self.connect.role, CONNECT_ACTIONS, "LiveConnect")
        table.grant(self.disconnect.role, DISCONNECT_ACTIONS, "LiveDisconnect")
        table.grant(self.fanout.role, FANOUT_ACTIONS, "LiveFanout")
        self._stream_to_fanout(table)
        self._grant_manage_connections()
        nag.acknowledge(
            self.api,
            {
                "AwsSolutions-APIG4": (
                    "A WebSocket API has no JWT authorizer: $connect verifies the Cognito access "
                    "token itself (Cognito GetUser, then issuer, client and staff group) and "
                    "refuses with 401/403; $disconnect is API Gateway's own notification."
                )
            },
        )

    def _function(
        self, construct_id: str, module: str, config: PitstopConfig, env: dict[str, str], what: str
    ) -> PitstopFunction:
        return PitstopFunction(
            self,
            construct_id,
            name="live",
            handler=c.LIVE_HANDLER.format(module=module),
            service=c.SERVICE_LIVE,
            config=config,
            environment=env,
            timeout=Duration.seconds(10),
            memory_mib=512,
            description=what,
        )

    def _stream_to_fanout(self, table: data.CrmTable) -> None:
        """Only call items (`pk` begins with CALL#) reach the Lambda: the filter is free."""
        self.fanout.function.add_event_source(
            sources.DynamoEventSource(
                table.table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=100,
                # A live view a minute late is no live view: do not replay old changes.
                max_record_age=Duration.minutes(1),
                retry_attempts=1,
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "dynamodb": {
                                "Keys": {data.PK: {"S": lambda_.FilterRule.begins_with("CALL#")}}
                            }
                        }
                    )
                ],
            )
        )
        nag.acknowledge(
            self.fanout.role,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "Two actions without resource-level permissions: X-Ray's PutTraceSegments/"
                    "PutTelemetryRecords and dynamodb:ListStreams, which Lambda's stream poller "
                    "needs; the stream's own reads name this table's stream."
                )
            },
        )

    def _grant_manage_connections(self) -> None:
        """Post to connections of this API's stage, nothing else of API Gateway."""
        resource = Stack.of(self).format_arn(
            service="execute-api",
            resource=self.api.api_id,
            resource_name=f"{c.LIVE_STAGE}/POST/@connections/*",
        )
        self.fanout.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="LivePostToConnections",
                actions=["execute-api:ManageConnections"],
                resources=[resource],
            )
        )
        partition, region, account = _nag_env(Stack.of(self))
        nag.acknowledge(
            self.fanout.role,
            {
                f"AwsSolutions-IAM5[Resource::arn:{partition}:execute-api:{region}:{account}:"
                f"<{_logical_id(self.api)}>/{c.LIVE_STAGE}/POST/@connections/*]": (
                    "Connection ids are made by API Gateway at connect time; the grant is POST "
                    "to connections of this one API's one stage."
                )
            },
        )


def _nag_env(stack: Stack) -> tuple[str, str, str]:
    """Partition, region and account as cdk-nag writes them in a finding (literal when known)."""
    return tuple(  # type: ignore[return-value]
        f"<AWS::{name}>" if Token.is_unresolved(value) else value
        for name, value in (
            ("Partition", stack.partition),
            ("Region", stack.region),
            ("AccountId", stack.account),
        )
    )


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
    partition, region, account = _nag_env(stack)
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


def _logical_id(construct: Construct) -> str:
    resource = construct.node.default_child
    assert isinstance(resource, apigwv2.CfnApi)
    return Stack.of(resource).get_logical_id(resource)


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
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self.logs = s3.Bucket(
            self,
            "Logs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront's standard logs are written with an ACL: the one thing that needs it.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            self.logs,
            {
                "AwsSolutions-S1": (
                    "This is the access-log bucket of the console's bucket and distribution; "
                    "logging it into itself would loop."
                )
            },
        )
        self.bucket = s3.Bucket(
            self,
            "Files",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        headers = self._security_headers(live, staff)
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
        nag.acknowledge(
            self.distribution,
            {
                "AwsSolutions-CFR4": (
                    "Served on the distribution's own *.cloudfront.net name, whose default "
                    "certificate fixes the minimum TLS policy; a custom domain with an ACM "
                    "certificate in us-east-1 is what raises it."
                ),
                "AwsSolutions-CFR1": (
                    "No geo restriction: the shop's staff sign in from wherever they are (the "
                    "workshop, home, travelling); every /admin request needs a staff token."
                ),
                "AwsSolutions-CFR2": (
                    "No WAF web ACL (a fixed monthly cost per shop): the files are static, every "
                    "/admin route is behind the Cognito JWT authorizer and the HTTP API stage "
                    "throttles; a shop whose policy requires a web ACL can attach one."
                ),
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
        self, live: LiveView, staff: StaffPool
    ) -> cloudfront.ResponseHeadersPolicy:
        csp = "; ".join(
            [
                "default-src 'self'",
                f"connect-src 'self' {live.api.api_endpoint} {_cognito_endpoint()}",
                "img-src 'self' data:",
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


class Console(Construct):
    """Everything of the console: staff pool, admin API routes, live view, site."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        table: data.CrmTable,
        secrets: PitstopSecrets,
        functions: PitstopFunctions,
        api: WebhookApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self.staff = StaffPool(self, "Staff")
        self.admin = PitstopFunction(
            self,
            "Admin",
            name="admin",
            service=c.SERVICE_ADMIN,
            config=config,
            environment={**functions.common_environment, c.ENV_PUBLIC_URL: api.endpoint},
            timeout=Duration.seconds(10),
            memory_mib=1024,
            description="The console's admin API (/admin/... behind the Cognito JWT authorizer)",
        )
        table.grant(self.admin.role, ADMIN_ACTIONS, "CrmAdmin")
        secrets.twilio.grant_read(self.admin.role)  # "hand to me now" and "end call"
        authorizer = authorizers.HttpUserPoolAuthorizer(
            "Staff", self.staff.pool, user_pool_clients=[self.staff.client]
        )
        integration = integrations.HttpLambdaIntegration("Admin", self.admin.function)
        for method, path in c.ADMIN_ROUTES:
            api.api.add_routes(
                path=path,
                methods=[apigwv2.HttpMethod(method)],
                integration=integration,
                authorizer=authorizer,
            )
        self.live = LiveView(
            self,
            "Live",
            config=config,
            table=table,
            staff=self.staff,
            common=functions.common_environment,
        )
        self.site = ConsoleSite(
            self,
            "Site",
            api=api,
            live=self.live,
            staff=self.staff,
            log_retention=config.log_retention,
        )


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
