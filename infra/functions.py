"""The three Lambda functions: webhook, tools and reminders.

Each function has its own role (no managed policies: its log group, the table actions it calls
and the secrets it reads), its own log group with retention, Python 3.12 on arm64, and a bundle
with the shared `pitstop` package plus only its own directory and dependencies.

Cold starts off the phone line
------------------------------
Twilio waits at most 15 s for `/voice`, and the caller hears silence while it waits; a tool
call stalls the agent mid-sentence. Both call-path functions (webhook, tools) therefore run
behind a `live` alias, and `cold_start` picks how that alias stays warm:

* ``provisioned`` (default): provisioned concurrency on the alias. Initialised environments
  answer in tens of milliseconds, every time, with no restore step and no snapshot caveats.
  It costs a small hourly fee per environment, and Lambda only allows it while the account keeps
  100 unreserved concurrency (accounts still on the 10-concurrency starter quota must raise the
  quota first, or pick ``snapstart``).
* ``snapstart``: SnapStart on published versions. Python supports it from 3.12 (our runtime),
  on arm64, in all commercial regions but a few. A restore still takes a few hundred ms and is
  billed per restore plus snapshot caching, SnapStart cannot be combined with provisioned
  concurrency, and state captured at init (boto3 connections, random seeds) is shared by every
  restored environment, so the code must tolerate that (the runtime hooks exist for it).
* ``none``: plain on-demand (development accounts).

We default to provisioned concurrency because the latency bound is hard and predictable; the
measured number to watch is `ProvisionedConcurrencySpilloverInvocations` (alarmed in
observability.py): any spillover means a caller met a cold start and the count should go up.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import constants as c
from infra import data, nag
from infra.bundling import function_code
from infra.config import PitstopConfig
from infra.secrets import PitstopSecrets

LIVE_ALIAS = "live"
COLD_START_MODES = ("provisioned", "snapstart", "none")
SERVICE_AFTER_CALL = "after_call"
# The OpenAI key's secret, for the after-call summary (the bridge gets the value as an ECS secret).
ENV_OPENAI_SECRET_ARN = "PITSTOP_OPENAI_SECRET_ARN"
# Twilio's final call statuses: only a finished call record is worth waking the after-call for.
FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


class PitstopFunction(Construct):
    """One Lambda function with its own role and log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        service: str,
        config: PitstopConfig,
        environment: dict[str, str],
        timeout: Duration,
        memory_mib: int,
        description: str,
        snap_start: bool = False,
        handler: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Pitstop {name} function",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler or c.HANDLER.format(name=name),
            code=function_code(name),
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_mib,
            environment={
                **environment,
                c.ENV_POWERTOOLS_SERVICE: service,
                c.ENV_POWERTOOLS_NAMESPACE: c.METRICS_NAMESPACE,
                c.ENV_POWERTOOLS_LOG_LEVEL: config.log_level,
            },
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if snap_start else None,
            # Powertools' Tracer (`capture_lambda_handler`) sends its segments to X-Ray; CDK adds
            # xray:PutTraceSegments and xray:PutTelemetryRecords to the role for it.
            tracing=lambda_.Tracing.ACTIVE,
        )
        nag.acknowledge(
            self.function,
            {
                "AwsSolutions-L1": (
                    "Pinned to python3.12 on purpose: the contract fixes the runtime the code, "
                    "the bundled wheels and the bytecode are built for; upgrade deliberately."
                )
            },
        )
        nag.acknowledge(
            self.role,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords "
                    "have no resource-level permissions, so CDK grants them on *; every other "
                    "statement of this role names its log group, table and secrets."
                )
            },
        )

    def add_environment(self, key: str, value: str) -> None:
        self.function.add_environment(key, value)


class PitstopFunctions(Construct):
    """webhook (public through the HTTP API), tools (IAM-only URL), reminders (scheduled),
    after_call (the table's stream: summary and cost of each finished call)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        table: data.CrmTable,
        secrets: PitstopSecrets,
    ) -> None:
        super().__init__(scope, construct_id)
        cold_start = config.cold_start
        if cold_start not in COLD_START_MODES:
            raise ValueError(f"cold_start must be one of {COLD_START_MODES}")
        self._config = config
        common = {
            c.ENV_TABLE: table.table_name,
            c.ENV_SHOP_ID: config.shop_id,
            c.ENV_TELEPHONY: "twilio",
            c.ENV_FROM_NUMBER: config.twilio_number,
            c.ENV_TWILIO_SECRET_ARN: secrets.twilio.secret_arn,
        }
        snap = cold_start == "snapstart"
        # What every function that reads the CRM or speaks to Twilio is told (the console's too).
        self.common_environment = common

        self.webhook = PitstopFunction(
            self,
            "Webhook",
            name="webhook",
            service=c.SERVICE_WEBHOOK,
            config=config,
            environment={
                **common,
                c.ENV_BRIDGE_URL: config.bridge_url,
                c.ENV_STREAM_TOKEN_SECRET_ARN: secrets.stream_token_key.secret_arn,
            },
            # Twilio gives up after 15 s; answer (or fail to the fallback URL) well before.
            timeout=Duration.seconds(10),
            # More memory is more CPU: a faster init if a call ever meets a cold start.
            memory_mib=1024,
            description="Twilio voice webhooks: TwiML <Connect><Stream>, status, fallback",
            snap_start=snap,
        )
        self.tools = PitstopFunction(
            self,
            "Tools",
            name="tools",
            service=c.SERVICE_TOOLS,
            config=config,
            environment=common,
            timeout=Duration.seconds(c.TOOLS_TIMEOUT_SECONDS),
            memory_mib=1024,
            description="The agent's tools over the CRM (IAM-authenticated function URL)",
            snap_start=snap,
        )
        self.reminders = PitstopFunction(
            self,
            "Reminders",
            name="reminders",
            service=c.SERVICE_REMINDERS,
            config=config,
            environment={
                **common,
                c.ENV_CALLS_PER_SECOND: _number(config.calls_per_second),
            },
            # Dialling is paced to the Twilio calls-per-second limit: a long list takes minutes.
            timeout=Duration.minutes(15),
            memory_mib=512,
            description="Daily reminder run: claim and dial tomorrow's appointments",
        )

        self.after_call = PitstopFunction(
            self,
            "AfterCall",
            name="after_call",
            service=SERVICE_AFTER_CALL,
            config=config,
            environment={
                c.ENV_TABLE: table.table_name,
                c.ENV_SHOP_ID: config.shop_id,
                ENV_OPENAI_SECRET_ARN: secrets.openai.secret_arn,
            },
            # A batch of a few calls, each a model call of up to 30 s (and one retry).
            timeout=Duration.minutes(5),
            memory_mib=512,
            description="After each call: its summary and cost, once (the table's stream)",
        )

        provisioned = config.provisioned_concurrency if cold_start == "provisioned" else 0
        self.webhook_alias = self._live_alias(self.webhook, provisioned)
        self.tools_alias = self._live_alias(self.tools, provisioned)

        # The tools API is never public: only SigV4-signed requests from principals granted
        # below (the bridge task role) get through.
        self.tools_url = self.tools_alias.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.AWS_IAM,
            invoke_mode=lambda_.InvokeMode.BUFFERED,
        )

        table.grant(self.webhook.role, data.WEBHOOK_ACTIONS, "CrmWebhook")
        table.grant(self.tools.role, data.TOOLS_ACTIONS, "CrmTools")
        table.grant(self.reminders.role, data.REMINDERS_ACTIONS, "CrmReminders")
        # Each function reads only the secrets it uses; none of them reads the OpenAI key.
        for fn in (self.webhook, self.tools, self.reminders):
            secrets.twilio.grant_read(fn.role)
        secrets.stream_token_key.grant_read(self.webhook.role)
        table.grant(self.after_call.role, data.AFTER_CALL_ACTIONS, "CrmAfterCall")
        secrets.openai.grant_read(self.after_call.role)
        self._stream_to_after_call(table)

    @property
    def all(self) -> tuple[PitstopFunction, ...]:
        return (self.webhook, self.tools, self.reminders, self.after_call)

    def _stream_to_after_call(self, table: data.CrmTable) -> None:
        """Finished call records only (a free filter on key and status), from the oldest change
        kept, a failing record retried alone (partial batch responses) and split out."""
        self.after_call.function.add_event_source(
            sources.DynamoEventSource(
                table.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=5,
                max_batching_window=Duration.seconds(5),
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=3,
                max_record_age=Duration.days(1),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {
                            "dynamodb": {
                                "Keys": {
                                    data.PK: {"S": lambda_.FilterRule.begins_with("CALL#")},
                                    data.SK: {"S": lambda_.FilterRule.is_equal("RECORD")},
                                },
                                "NewImage": {
                                    "status": {"S": lambda_.FilterRule.or_(*FINAL_CALL_STATUSES)}
                                },
                            }
                        }
                    )
                ],
            )
        )
        nag.acknowledge(
            self.after_call.role,
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "Two actions without resource-level permissions: X-Ray's PutTraceSegments/"
                    "PutTelemetryRecords and dynamodb:ListStreams, which Lambda's stream poller "
                    "needs; the stream's own reads name this table's stream."
                )
            },
        )

    def set_public_url(self, url: str) -> None:
        """Point the functions that build webhook URLs at the API's base URL (known once it exists).

        The webhook checks Twilio's signature over its own public URL; the reminders give Twilio
        the URLs of the reminder call. Set after the API is built: the API depends on the webhook
        alias, and the functions' environment only references the API's id, so there is no cycle.
        """
        for fn in (self.webhook, self.reminders):
            fn.add_environment(c.ENV_PUBLIC_URL, url)

    def grant_invoke_tools(self, grantee: iam.IGrantable) -> None:
        """Allow `grantee` to call the tools function URL and nothing else of the function.

        Since October 2025 a function URL call needs lambda:InvokeFunctionUrl *and*
        lambda:InvokeFunction; the latter is limited to calls that arrive through the URL.
        """
        arn = self.tools_alias.function_arn
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ToolsFunctionUrl",
                actions=["lambda:InvokeFunctionUrl"],
                resources=[arn],
                conditions={"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ToolsViaFunctionUrlOnly",
                actions=["lambda:InvokeFunction"],
                resources=[arn],
                conditions={"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
            )
        )

    @staticmethod
    def _live_alias(fn: PitstopFunction, provisioned: int) -> lambda_.Alias:
        return lambda_.Alias(
            fn,
            "Live",
            alias_name=LIVE_ALIAS,
            version=fn.function.current_version,
            provisioned_concurrent_executions=provisioned or None,
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
