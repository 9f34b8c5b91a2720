"""Alarms and the operations dashboard.

Alarms go to one encrypted SNS topic (subscribe an email with `-c alarm_email=...`). Every
function, the call path's and the console's (admin, live connect/disconnect/fan-out), alarms on
one error or one throttle in five minutes: none of them should ever raise or be throttled, so
the first one is worth a look. The
dashboard reads the metrics the code emits through Powertools (namespace `Pitstop`, dimension
`service`, see infra/constants.py). Call outcomes and tool latency are read with SEARCH
expressions, so a new outcome or tool name shows up without a redeploy.

The calls themselves alarm too (issue 16; the thresholds are in the README, "Every call
kept"): Realtime errors, the fallback rate (callers the agent never took), the handoff rate,
the p95 of the caller's wait for an answer, and the day's spend. A rate is only a rate with a
few calls behind it: below `MIN_CALLS_FOR_RATE` in its hour it reads 0.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import constants as c
from infra.bridge import MediaBridge, live_calls_metric
from infra.config import PitstopConfig
from infra.console import Console
from infra.functions import SERVICE_AFTER_CALL, PitstopFunction, PitstopFunctions
from infra.scheduler import ReminderSchedule
from infra.webhook_api import WebhookApi

FIVE_MINUTES = Duration.minutes(5)
ONE_HOUR = Duration.hours(1)
ONE_DAY = Duration.days(1)

# What the code emits for the call alarms (service=media_bridge unless said otherwise).
METRIC_REALTIME_ERRORS = "RealtimeErrors"  # failed connects and `error` events, in all
METRIC_HANDOFFS = "Handoffs"
METRIC_CALLS_ENDED = "CallsEnded"  # one per stream the bridge carried to its end
METRIC_RESPONSE_LATENCY = "ResponseLatency"  # ms, one value per agent turn
METRIC_GREETING_LATENCY = "GreetingLatency"
METRIC_INBOUND_CALLS = "InboundCalls"  # service=webhook
METRIC_FALLBACKS = "Fallbacks"  # service=webhook: answered without the agent (a person or sorry)
METRIC_CALL_COST = "CallCostUSD"  # service=after_call: pitstop.after_call.COST_METRIC, per call
# The thresholds (documented in the README).
REALTIME_ERRORS_PER_FIVE_MINUTES = 5
FALLBACK_RATE_PERCENT = 10
HANDOFF_RATE_PERCENT = 30
MIN_CALLS_FOR_RATE = 5
RESPONSE_LATENCY_P95_MS = 2500
RESPONSE_LATENCY_PERIODS = 3  # three 5-minute periods in a row: not one slow burst
DAILY_COST_USD = 50


def pitstop_metric(
    name: str, service: str, statistic: str = "Sum", period: Duration = FIVE_MINUTES
) -> cw.Metric:
    return cw.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service},
        statistic=statistic,
        period=period,
    )


def rate_percent(events: cw.Metric, calls: cw.Metric, label: str) -> cw.MathExpression:
    """100 * events / calls per hour; 0 for an hour with fewer than `MIN_CALLS_FOR_RATE` calls."""
    return cw.MathExpression(
        expression=f"IF(calls >= {MIN_CALLS_FOR_RATE}, 100 * FILL(events, 0) / calls, 0)",
        using_metrics={"events": events, "calls": calls},
        label=label,
        period=ONE_HOUR,
    )


def search(
    metric_name: str,
    dimensions: tuple[str, ...],
    statistic: str,
    label: str,
    period: Duration = FIVE_MINUTES,
) -> cw.MathExpression:
    """Every series of `metric_name` with exactly these dimensions (e.g. one per outcome)."""
    schema = ",".join((c.METRICS_NAMESPACE, *sorted(dimensions)))
    seconds = int(period.to_seconds())
    return cw.MathExpression(
        expression=(
            f"SEARCH('{{{schema}}} MetricName=\"{metric_name}\"', '{statistic}', {seconds})"
        ),
        using_metrics={},
        label=label,
        period=period,
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        functions: PitstopFunctions,
        console: Console,
        api: WebhookApi,
        bridge: MediaBridge,
        schedule: ReminderSchedule,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = self._topic(config)
        self._action = cw_actions.SnsAction(self.topic)
        self.alarms: list[cw.Alarm] = []

        for fn in functions.all:
            self._function_alarms(fn.node.id, fn)
        for label, fn in console.functions.items():
            self._function_alarms(label, fn)
        for fn, alias in (
            (functions.webhook, functions.webhook_alias),
            (functions.tools, functions.tools_alias),
        ):
            self._alarm(
                f"{fn.node.id}ColdStartSpillover",
                alias.metric(
                    "ProvisionedConcurrencySpilloverInvocations",
                    statistic="Sum",
                    period=FIVE_MINUTES,
                ),
                threshold=1,
                description=(
                    f"{fn.node.id}: a request met a cold start (provisioned concurrency exhausted)"
                ),
            )
        self._alarm(
            "Api5xx",
            api.api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
            threshold=1,
            description="The webhook API returned 5xx to Twilio (callers heard the fallback)",
        )
        self._alarm(
            "BridgeUnhealthyHosts",
            bridge.target_group.metrics.unhealthy_host_count(
                period=Duration.minutes(1), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=3,
            description="A media bridge task fails its /health check",
        )
        self._alarm(
            "BridgeElb5xx",
            bridge.load_balancer.metrics.http_code_elb(
                elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
            ),
            threshold=1,
            description="The load balancer could not reach a bridge task (calls failed to connect)",
        )
        self._alarm(
            "ReminderDeadLetters",
            schedule.dead_letters.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            threshold=1,
            description="A reminder run could not be delivered to the reminders function",
        )
        self._alarm(
            "RemindersFailed",
            pitstop_metric(c.METRIC_REMINDERS_FAILED, c.SERVICE_REMINDERS),
            threshold=1,
            description="At least one reminder call could not be placed",
        )
        self._call_alarms()

        self.dashboard = self._dashboard(config, functions, api, bridge, schedule)

    # --- alarms -------------------------------------------------------------------------
    def _topic(self, config: PitstopConfig) -> sns.Topic:
        key = kms.Key(
            self,
            "AlarmsKey",
            description="Pitstop alarm topic encryption",
            enable_key_rotation=True,
        )
        # CloudWatch must be able to publish to an encrypted topic.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        topic = sns.Topic(
            self,
            "Alarms",
            display_name="Pitstop alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        return topic

    def _call_alarms(self) -> None:
        """What callers live through: the agent's errors, callers it never took, callers it
        passed on, how long they waited for an answer, and what the day cost."""
        bridge = c.SERVICE_BRIDGE
        self._alarm(
            "RealtimeErrors",
            pitstop_metric(METRIC_REALTIME_ERRORS, bridge),
            threshold=REALTIME_ERRORS_PER_FIVE_MINUTES,
            description=(
                f"{REALTIME_ERRORS_PER_FIVE_MINUTES}+ OpenAI Realtime errors (failed connects or "
                "error events) in 5 minutes"
            ),
        )
        self._alarm(
            "FallbackRate",
            rate_percent(
                pitstop_metric(METRIC_FALLBACKS, c.SERVICE_WEBHOOK, period=ONE_HOUR),
                pitstop_metric(METRIC_INBOUND_CALLS, c.SERVICE_WEBHOOK, period=ONE_HOUR),
                "fallbacks per inbound call (%)",
            ),
            threshold=FALLBACK_RATE_PERCENT,
            description=(
                f"{FALLBACK_RATE_PERCENT}%+ of the hour's inbound calls were answered by the "
                "fallback (the agent never took them)"
            ),
        )
        self._alarm(
            "HandoffRate",
            rate_percent(
                pitstop_metric(METRIC_HANDOFFS, bridge, period=ONE_HOUR),
                pitstop_metric(METRIC_CALLS_ENDED, bridge, period=ONE_HOUR),
                "handoffs per call (%)",
            ),
            threshold=HANDOFF_RATE_PERCENT,
            description=f"{HANDOFF_RATE_PERCENT}%+ of the hour's calls were handed to a person",
        )
        self._alarm(
            "ResponseLatencyP95",
            pitstop_metric(METRIC_RESPONSE_LATENCY, bridge, statistic="p95"),
            threshold=RESPONSE_LATENCY_P95_MS,
            evaluation_periods=RESPONSE_LATENCY_PERIODS,
            description=(
                f"Callers waited {RESPONSE_LATENCY_P95_MS} ms or more (p95) from the end of their "
                "speech to the agent's answer, for 15 minutes"
            ),
        )
        self._alarm(
            "DailyCost",
            pitstop_metric(METRIC_CALL_COST, SERVICE_AFTER_CALL, period=ONE_DAY),
            threshold=DAILY_COST_USD,
            description=f"The day's calls cost {DAILY_COST_USD} USD or more (CallCostUSD, summed)",
        )

    def _function_alarms(self, name: str, fn: PitstopFunction) -> None:
        self._alarm(
            f"{name}Errors",
            fn.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
            threshold=1,
            description=f"The {name} function raised errors",
        )
        self._alarm(
            f"{name}Throttles",
            fn.function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
            threshold=1,
            description=f"The {name} function was throttled",
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        self.alarms.append(alarm)
        return alarm

    # --- dashboard ----------------------------------------------------------------------
    def _dashboard(
        self,
        config: PitstopConfig,
        functions: PitstopFunctions,
        api: WebhookApi,
        bridge: MediaBridge,
        schedule: ReminderSchedule,
    ) -> cw.Dashboard:
        dashboard = cw.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"Pitstop-{config.shop_id}",
            default_interval=Duration.hours(24),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Live calls per task",
                left=[
                    live_calls_metric().with_(label="average per task"),
                    live_calls_metric().with_(statistic="Maximum", label="busiest task"),
                ],
                right=[
                    cw.Metric(
                        namespace="ECS/ContainerInsights",
                        metric_name="RunningTaskCount",
                        dimensions_map={
                            "ClusterName": bridge.cluster.cluster_name,
                            "ServiceName": bridge.service.service_name,
                        },
                        statistic="Average",
                        period=Duration.minutes(1),
                        label="running tasks",
                    )
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Call outcomes",
                left=[search(c.METRIC_CALL_OUTCOME, (c.DIMENSION_OUTCOME, "service"), "Sum", "")],
                stacked=True,
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Tool latency (ms, p95)",
                left=[
                    pitstop_metric(c.METRIC_TOOL_LATENCY, c.SERVICE_BRIDGE, "p95").with_(
                        label="bridge round trip"
                    ),
                    pitstop_metric(c.METRIC_TOOL_LATENCY, c.SERVICE_TOOLS, "p95").with_(
                        label="tools function"
                    ),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Tools function duration (ms)",
                left=[
                    functions.tools.function.metric_duration(statistic="p95", period=FIVE_MINUTES),
                    functions.tools.function.metric_duration(statistic="p99", period=FIVE_MINUTES),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda errors",
                left=[
                    fn.function.metric_errors(
                        statistic="Sum", period=FIVE_MINUTES, label=fn.node.id
                    )
                    for fn in functions.all
                ],
                right=[
                    fn.function.metric_throttles(
                        statistic="Sum", period=FIVE_MINUTES, label=f"{fn.node.id} throttles"
                    )
                    for fn in functions.all
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Webhook: latency and API errors",
                left=[
                    functions.webhook.function.metric_duration(statistic="p99", period=FIVE_MINUTES)
                ],
                right=[
                    api.api.metric_client_error(period=FIVE_MINUTES, statistic="Sum"),
                    api.api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Reminder results (per day)",
                left=[
                    pitstop_metric(c.METRIC_REMINDERS_DUE, c.SERVICE_REMINDERS, period=ONE_DAY),
                    pitstop_metric(c.METRIC_REMINDERS_DIALLED, c.SERVICE_REMINDERS, period=ONE_DAY),
                    pitstop_metric(c.METRIC_REMINDERS_FAILED, c.SERVICE_REMINDERS, period=ONE_DAY),
                ],
                right=[
                    search(
                        c.METRIC_REMINDERS_SKIPPED,
                        (c.DIMENSION_REASON, "service"),
                        "Sum",
                        "skipped",
                        period=ONE_DAY,
                    )
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Bridge: CPU, memory, connections",
                left=[
                    bridge.service.metric_cpu_utilization(period=Duration.minutes(1)),
                    bridge.service.metric_memory_utilization(period=Duration.minutes(1)),
                ],
                right=[
                    bridge.load_balancer.metrics.active_connection_count(
                        period=Duration.minutes(1)
                    ),
                    schedule.dead_letters.metric_approximate_number_of_messages_visible(
                        label="reminder DLQ depth"
                    ),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Callers' wait for the agent (ms)",
                left=[
                    pitstop_metric(METRIC_RESPONSE_LATENCY, c.SERVICE_BRIDGE, "p50").with_(
                        label="answer p50"
                    ),
                    pitstop_metric(METRIC_RESPONSE_LATENCY, c.SERVICE_BRIDGE, "p95").with_(
                        label="answer p95"
                    ),
                    pitstop_metric(METRIC_GREETING_LATENCY, c.SERVICE_BRIDGE, "p95").with_(
                        label="greeting p95"
                    ),
                ],
                width=12,
            ),
            cw.GraphWidget(
                title="Calls' cost (USD per day)",
                left=[
                    pitstop_metric(METRIC_CALL_COST, SERVICE_AFTER_CALL, period=ONE_DAY).with_(
                        label="spend"
                    )
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )
        return dashboard
