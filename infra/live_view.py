"""The console's live view: an API Gateway WebSocket API and the table stream's fan-out.

`$connect` checks the Cognito token, connections are kept in the table with a TTL, and a fan-out
Lambda on the table's stream posts call changes to `@connections`.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants as c
from infra import data, nag
from infra.config import PitstopConfig
from infra.functions import PitstopFunction
from infra.staff_pool import StaffPool
from infra.webhook_api import AccessLogSettings

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
        partition, region, account = nag.env_tokens(Stack.of(self))
        nag.acknowledge(
            self.fanout.role,
            {
                f"AwsSolutions-IAM5[Resource::arn:{partition}:execute-api:{region}:{account}:"
                f"{nag.logical_id_token(self.api)}/{c.LIVE_STAGE}/POST/@connections/*]": (
                    "Connection ids are made by API Gateway at connect time; the grant is POST "
                    "to connections of this one API's one stage."
                )
            },
        )
