"""The shop's console on AWS: the staff pool, the admin API routes, the live view, the site.

The pieces are their own modules: `staff_pool` (Cognito sign-in), `live_view` (WebSocket API
and the stream fan-out), `console_site` (bucket + CloudFront). Here: the admin Lambda on the
webhook's HTTP API, every `/admin` route behind a JWT authorizer of that pool and client.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from constructs import Construct

from infra import constants as c
from infra import data
from infra.config import PitstopConfig
from infra.console_site import ConsoleSite
from infra.functions import PitstopFunction, PitstopFunctions
from infra.live_view import LiveView
from infra.recordings import RecordingsBucket
from infra.secrets import PitstopSecrets
from infra.staff_pool import StaffPool
from infra.webhook_api import WebhookApi
from pitstop.recordings import ENV_RECORDINGS_BUCKET

# The admin routes run the same domain logic as the tools (booking moves are conditional writes).
ADMIN_ACTIONS = data.TOOLS_ACTIONS


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
        recordings: RecordingsBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.staff = StaffPool(self, "Staff")
        self.admin = PitstopFunction(
            self,
            "Admin",
            name="admin",
            service=c.SERVICE_ADMIN,
            config=config,
            environment={
                **functions.common_environment,
                c.ENV_PUBLIC_URL: api.endpoint,
                # Test calls: the browser's phone streams to the bridge with a token signed here.
                c.ENV_BRIDGE_URL: config.bridge_url,
                c.ENV_STREAM_TOKEN_SECRET_ARN: secrets.stream_token_key.secret_arn,
                # The call page plays a recording through a presigned URL signed here.
                ENV_RECORDINGS_BUCKET: recordings.bucket_name,
            },
            timeout=Duration.seconds(10),
            memory_mib=1024,
            description="The console's admin API (/admin/... behind the Cognito JWT authorizer)",
        )
        table.grant(self.admin.role, ADMIN_ACTIONS, "CrmAdmin")
        secrets.twilio.grant_read(self.admin.role)  # "hand to me now" and "end call"
        secrets.stream_token_key.grant_read(self.admin.role)  # signs test calls' stream tokens
        recordings.grant_read(self.admin.role, "RecordingsAdmin")
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
            bridge_url=config.bridge_url,
            media_origins=[recordings.origin, c.TWILIO_RECORDINGS_ORIGIN],
            log_retention=config.log_retention,
        )

    @property
    def functions(self) -> dict[str, PitstopFunction]:
        """The console's functions by the name their alarms carry."""
        return {
            "Admin": self.admin,
            "LiveConnect": self.live.connect,
            "LiveDisconnect": self.live.disconnect,
            "LiveFanout": self.live.fanout,
        }
