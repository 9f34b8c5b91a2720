"""The Pitstop stack: composes the constructs and exposes what the operator needs as outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack, Tags
from constructs import Construct

from infra.bridge import MediaBridge
from infra.config import PitstopConfig
from infra.console import Console
from infra.data import CrmTable
from infra.functions import PitstopFunctions
from infra.observability import Observability
from infra.scheduler import ReminderSchedule
from infra.secrets import PitstopSecrets
from infra.webhook_api import WebhookApi


class PitstopStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: PitstopConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        Tags.of(self).add("app", "pitstop")
        Tags.of(self).add("pitstop:shop", config.shop_id)

        self.table = CrmTable(self, "Crm")
        self.secrets = PitstopSecrets(self, "Secrets", import_secrets=config.import_secrets)
        self.functions = PitstopFunctions(
            self, "Functions", config=config, table=self.table, secrets=self.secrets
        )
        self.api = WebhookApi(
            self, "WebhookApi", config=config, webhook=self.functions.webhook_alias
        )
        self.functions.set_public_url(self.api.endpoint)
        self.console = Console(
            self,
            "Console",
            config=config,
            table=self.table,
            secrets=self.secrets,
            functions=self.functions,
            api=self.api,
        )
        self.bridge = MediaBridge(
            self,
            "MediaBridge",
            config=config,
            table=self.table,
            secrets=self.secrets,
            functions=self.functions,
        )
        self.schedule = ReminderSchedule(
            self, "Reminders", config=config, function=self.functions.reminders.function
        )
        self.observability = Observability(
            self,
            "Observability",
            config=config,
            functions=self.functions,
            api=self.api,
            bridge=self.bridge,
            schedule=self.schedule,
        )
        self._outputs()
        if config.uses_placeholder_certificate:
            Annotations.of(self).add_warning_v2(
                "pitstop:placeholder-certificate",
                "certificate_arn is the placeholder: deploy with "
                "-c certificate_arn=<ACM ARN covering domain_name> -c domain_name=<host>.",
            )

    def _outputs(self) -> None:
        out = {
            "WebhookUrl": (
                f"{self.api.endpoint}/voice",
                "Twilio number → Voice → 'A call comes in' (HTTP POST)",
            ),
            "FallbackUrl": (
                f"{self.api.endpoint}/voice/fallback",
                "Twilio number → Voice → 'Primary handler fails' (HTTP POST)",
            ),
            "BridgeUrl": (self.config.bridge_url, "Media stream URL the webhook gives Twilio"),
            "LoadBalancerDns": (
                self.bridge.load_balancer.load_balancer_dns_name,
                "Point domain_name (CNAME/alias) here unless hosted_zone_id was given",
            ),
            "TableName": (self.table.table_name, "The CRM table (seed it with the pitstop CLI)"),
            "OpenAiSecretArn": (self.secrets.openai.secret_arn, "Put the OpenAI API key here"),
            "TwilioSecretArn": (
                self.secrets.twilio.secret_arn,
                'Put {"account_sid": "...", "auth_token": "..."} here',
            ),
            "ToolsFunctionUrl": (self.functions.tools_url.url, "IAM-authenticated tools API"),
            "AlarmTopicArn": (self.observability.topic.topic_arn, "Subscribe to get alarms"),
            "ConsoleUrl": (self.console.site.url, "The shop's console (sign in as invited staff)"),
            "StaffUserPoolId": (
                self.console.staff.pool.user_pool_id,
                "Invite staff here (admin-create-user), then add them to owners or advisors",
            ),
        }
        for key, (value, description) in out.items():
            CfnOutput(self, key, value=value, description=description)
