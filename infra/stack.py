"""The Pitstop stack: composes the constructs and exposes what the operator needs as outputs."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack, Tags
from constructs import Construct

from infra import constants as c
from infra import nag
from infra.bridge import MediaBridge
from infra.config import PitstopConfig
from infra.console import Console
from infra.data import CrmTable
from infra.functions import PitstopFunctions
from infra.observability import Observability
from infra.recordings import RecordingsBucket
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
        self.recordings = RecordingsBucket(self, "Recordings")
        self.console = Console(
            self,
            "Console",
            config=config,
            table=self.table,
            secrets=self.secrets,
            functions=self.functions,
            api=self.api,
            recordings=self.recordings,
        )
        self.bridge = MediaBridge(
            self,
            "MediaBridge",
            config=config,
            table=self.table,
            secrets=self.secrets,
            functions=self.functions,
            recordings=self.recordings,
        )
        # A handoff puts the call's console page on its record (webhook rescues and the bridge).
        self.functions.webhook.add_environment(c.ENV_CONSOLE_URL, self.console.site.url)
        self.bridge.container.add_environment(c.ENV_CONSOLE_URL, self.console.site.url)
        self.schedule = ReminderSchedule(
            self, "Reminders", config=config, function=self.functions.reminders.function
        )
        self.observability = Observability(
            self,
            "Observability",
            config=config,
            functions=self.functions,
            console=self.console,
            api=self.api,
            bridge=self.bridge,
            schedule=self.schedule,
        )
        self._outputs()
        _acknowledge_stack_wide_scanner_findings(self)
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
            "RecordingsBucket": (
                self.recordings.bucket_name,
                "Call recordings (SSE-KMS; kept as long as the shop's retention setting says)",
            ),
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


def _acknowledge_stack_wide_scanner_findings(stack: Stack) -> None:
    """checkov findings that hold for every function and log group, ours and CDK's helpers."""
    nag.acknowledge_checkov(
        stack,
        "AWS::Lambda::Function",
        {
            "CKV_AWS_117": (
                "No function reaches a private resource: they call DynamoDB, Secrets Manager, "
                "API Gateway and Twilio over TLS with IAM or signed requests; a VPC would add NAT "
                "gateways (a monthly cost and a failure point) and protect nothing."
            ),
            "CKV_AWS_116": (
                "A dead-letter queue only catches asynchronous invocations: the webhook, tools, "
                "admin and live $connect/$disconnect functions are invoked synchronously (the "
                "caller sees the error), the reminder run's failed invocations go to the "
                "scheduler's own dead-letter queue, the fan-out and the after-call function read "
                "the table stream with the event source's retries (the after-call's a failing "
                "record retried alone, bisected), and CDK's custom-resource handlers report to "
                "CloudFormation."
            ),
            "CKV_AWS_115": (
                "Reserved concurrency is carved out of the account's pool (a new account has 10 "
                "and must keep 10 unreserved, so a reservation fails to deploy there); load is "
                "bounded upstream: the HTTP API stage throttles, one scheduled run at a time, "
                "Twilio's call rate."
            ),
            "CKV_AWS_173": (
                "The environment holds no secret, only names, ARNs and settings (secrets are read "
                "from Secrets Manager at run time); Lambda encrypts it at rest with its "
                "AWS-managed key, a customer key would add cost and a key policy for no secret."
            ),
        },
    )
    nag.acknowledge_checkov(
        stack,
        "AWS::Logs::LogGroup",
        {
            "CKV_AWS_158": (
                "CloudWatch Logs encrypts every log group at rest by default and phone numbers "
                "are masked before they are logged; a customer-managed key per stack adds a "
                "monthly cost and a key policy every log-writing service must be granted."
            )
        },
    )
