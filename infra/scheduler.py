"""The reminder runs: EventBridge Scheduler → reminders Lambda, hourly inside calling hours,
in the shop's time zone. Every run of a day reminds the same "tomorrow"; the first dials, the
later ones pick up what a dead or time-limited run left (lapsed claims, after reconciling them
with Twilio) and retries that have come due.

Scheduler evaluates the cron in `timezone`, so "10:00" stays 10:00 local across daylight saving
changes. A failed invocation is retried (the run is idempotent: each appointment is claimed with
a conditional write before it is dialled); what still fails lands in an encrypted DLQ and trips
an alarm. The event carries the scheduled time so the function computes "tomorrow" from the
schedule, not from when a retry happened to run.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.config import PitstopConfig


class ReminderSchedule(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        nag.acknowledge(
            self.dead_letters,
            {
                "AwsSolutions-SQS3": (
                    "This queue is itself the scheduler's dead-letter queue; nothing consumes it "
                    "automatically, an alarm on its depth tells the operator to look."
                )
            },
        )
        nag.acknowledge_checkov(
            self.dead_letters,
            "AWS::SQS::Queue",
            {
                "CKV_AWS_27": (
                    "Encrypted at rest with SQS-managed SSE (SqsManagedSseEnabled), which "
                    "checkov does not recognise (it looks only for a KMS key); the queue holds "
                    "only failed schedule payloads, no customer data."
                )
            },
        )
        # Our own role (instead of the target's shared singleton) so its trust is pinned to this
        # account's scheduler and its one permission sits next to the schedule that uses it.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="EventBridge Scheduler: invoke the Pitstop reminders function",
        )
        self.target = targets.LambdaInvoke(
            function,
            role=self.role,
            input=scheduler.ScheduleTargetInput.from_object(
                {
                    "source": "pitstop.reminders",
                    "shop_id": config.shop_id,
                    "timezone": config.timezone,
                    "scheduled_time": scheduler.ContextAttribute.scheduled_time,
                    "execution_id": scheduler.ContextAttribute.execution_id,
                }
            ),
            dead_letter_queue=self.dead_letters,
            retry_attempts=3,
            # After two hours a reminder run is too late to be useful; dead-letter it instead.
            max_event_age=Duration.hours(2),
        )
        nag.acknowledge(
            self.role,
            {
                f"AwsSolutions-IAM5[Resource::{nag.arn_token(function)}:*]": (
                    "CDK's Lambda invoke grant covers the reminders function's own versions and "
                    "aliases (<arn>:*); it names that one function and only lambda:InvokeFunction."
                )
            },
        )
        self.schedule = scheduler.Schedule(
            self,
            "Daily",  # the construct id stays: renaming it would replace the deployed schedule
            description=f"Pitstop reminder calls for shop {config.shop_id}",
            schedule=scheduler.ScheduleExpression.expression(
                config.reminder_schedule, TimeZone.of(config.timezone)
            ),
            target=self.target,
            time_window=scheduler.TimeWindow.off(),
        )
