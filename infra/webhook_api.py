"""The public HTTP API in front of the webhook function (Twilio's only way in).

Only the webhook routes exist: anything else (including any /tools path) is API Gateway's 404,
so the tools function is unreachable from here. Requests are authenticated in the handler by
Twilio's request signature (X-Twilio-Signature over the exact public URL), which API Gateway
authorizers cannot verify; stage throttling bounds what a forger can cost us.
"""

from __future__ import annotations

import json

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants as c
from infra import nag
from infra.config import PitstopConfig

# No request bodies, query strings or headers: the form fields carry callers' phone numbers.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "userAgent": "$context.identity.userAgent",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogSettings:
    def __init__(
        self, log_group: logs.ILogGroup, fields: dict[str, str] = ACCESS_LOG_FORMAT
    ) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigw.AccessLogFormat.custom(json.dumps(fields))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class WebhookApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        webhook: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            description="Pitstop Twilio voice webhooks",
            create_default_stage=False,
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.stage = self.api.add_stage(
            "DefaultStage",
            stage_name="$default",
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(
                rate_limit=config.api_rate_limit, burst_limit=config.api_burst_limit
            ),
            access_log_settings=AccessLogSettings(self.access_logs),
        )
        integration = integrations.HttpLambdaIntegration("Webhook", webhook)
        for method, path in c.WEBHOOK_ROUTES:
            self.api.add_routes(
                path=path, methods=[apigwv2.HttpMethod(method)], integration=integration
            )
        nag.acknowledge(
            self.api,
            {
                "AwsSolutions-APIG4": (
                    "Twilio cannot present IAM, JWT or Cognito credentials. Every request is "
                    "authenticated in the webhook by Twilio's HMAC request signature; forged "
                    "requests get 403 and change nothing."
                ),
            },
        )

    @property
    def endpoint(self) -> str:
        """https://<id>.execute-api.<region>.amazonaws.com (no trailing slash)."""
        return self.api.api_endpoint
