"""The media bridge: a Fargate service behind an HTTPS Application Load Balancer (the wss:// edge).

A phone call is one WebSocket that lives as long as the call, so everything here is set for
long-lived connections:
- ALB idle timeout 3600 s: Twilio streams media every 20 ms, but a quiet or held line must not
  be cut by the load balancer.
- Draining: on deploy or scale-in a task is first deregistered (existing calls continue for the
  deregistration delay, default 300 s), then gets SIGTERM and up to 120 s (the Fargate maximum
  stop timeout) to finish; the bridge stops taking new calls on SIGTERM.
- Scaling on live calls per task (the bridge's `LiveCalls` metric) and on CPU; scale-in is slow.
- Only the two paths the bridge serves are routed; everything else gets a 404 at the ALB.
Secrets reach the container as ECS secrets (resolved by the agent at task start), never as
plain environment values.
"""

from __future__ import annotations

from aws_cdk import Duration, IgnoreMode, RemovalPolicy, Size
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as route53_targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import constants as c
from infra import data, nag
from infra.access_logs import access_log_bucket
from infra.bundling import REPO_ROOT
from infra.config import PitstopConfig
from infra.functions import PitstopFunctions
from infra.recordings import RecordingsBucket
from infra.secrets import PitstopSecrets
from pitstop.recordings import ENV_RECORDINGS_BUCKET

STOP_TIMEOUT = Duration.seconds(120)  # Fargate's maximum
# Each recorded call is spooled to local disk until it ends (16-bit stereo, 8 kHz: 57.6 MB per
# 30 minutes): a full task of 200 half-hour calls is 11.5 GB. Fargate's 20 GiB default also
# holds the image, so the task asks for more (priced per GiB-hour above 20).
EPHEMERAL_STORAGE_GIB = 40
HEALTH_CHECK_COMMAND = (
    "import os,sys,urllib.request;"
    "r=urllib.request.urlopen('http://127.0.0.1:%s/health'%os.environ.get('PITSTOP_BRIDGE_PORT',"
    "'8080'),timeout=3);sys.exit(0 if r.status==200 else 1)"
)
# Belt and braces next to .dockerignore: never send these to the Docker build context.
IMAGE_EXCLUDES = [
    ".git",
    ".venv",
    "node_modules",
    "cdk.out",
    "build",
    ".pitstop",
    "tests",
    "**/__pycache__",
    "**/*.pyc",
]


def live_calls_metric(period: Duration | None = None) -> cloudwatch.Metric:
    """Average LiveCalls over the tasks' samples = calls per task (each task reports its own)."""
    return cloudwatch.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=c.METRIC_LIVE_CALLS,
        dimensions_map={"service": c.SERVICE_BRIDGE},
        statistic="Average",
        period=period or Duration.minutes(1),
    )


class MediaBridge(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: PitstopConfig,
        table: data.CrmTable,
        secrets: PitstopSecrets,
        functions: PitstopFunctions,
        recordings: RecordingsBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.vpc = self._vpc(config)
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=self.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        self.task_definition = self._task_definition(config)
        self.container = self._container(config, table, secrets, functions)
        self.container.add_environment(ENV_RECORDINGS_BUCKET, recordings.bucket_name)

        table.grant(self.task_definition.task_role, data.BRIDGE_ACTIONS, "CrmBridge")
        recordings.grant_write(self.task_definition.task_role, "RecordingsBridge")
        functions.grant_invoke_tools(self.task_definition.task_role)

        self.service = ecs.FargateService(
            self,
            "Service",
            cluster=self.cluster,
            task_definition=self.task_definition,
            # No DesiredCount in the template: autoscaling owns the task count (its minimum is
            # bridge_desired_count), so a deploy never resets a scaled-out service mid-call.
            min_healthy_percent=100,
            max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            health_check_grace_period=Duration.seconds(60),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            assign_public_ip=False,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        self.load_balancer, self.target_group = self._load_balancer(config)
        self._autoscaling(config)
        self._dns(config)

    # --- network ------------------------------------------------------------------------
    def _vpc(self, config: PitstopConfig) -> ec2.Vpc:
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24
                ),
                ec2.SubnetConfiguration(
                    name="tasks", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            ],
            # DynamoDB traffic skips the NAT gateway (cheaper, one hop fewer on the call path).
            gateway_endpoints={
                "DynamoDb": ec2.GatewayVpcEndpointOptions(
                    service=ec2.GatewayVpcEndpointAwsService.DYNAMODB
                )
            },
        )
        flow_logs = logs.LogGroup(
            self,
            "FlowLogs",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        return vpc

    # --- task ---------------------------------------------------------------------------
    def _task_definition(self, config: PitstopConfig) -> ecs.FargateTaskDefinition:
        arch = (
            ecs.CpuArchitecture.ARM64
            if config.bridge_cpu_architecture == "ARM64"
            else ecs.CpuArchitecture.X86_64
        )
        task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            cpu=config.bridge_cpu,
            memory_limit_mib=config.bridge_memory_mib,
            ephemeral_storage_gib=EPHEMERAL_STORAGE_GIB,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=arch,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        nag.acknowledge(
            task_definition.obtain_execution_role(),
            {
                "AwsSolutions-IAM5[Resource::*]": (
                    "ecr:GetAuthorizationToken has no resource-level permissions and must be "
                    "granted on *; image pulls themselves are scoped to the asset repository."
                )
            },
        )
        return task_definition

    def _container(
        self,
        config: PitstopConfig,
        table: data.CrmTable,
        secrets: PitstopSecrets,
        functions: PitstopFunctions,
    ) -> ecs.ContainerDefinition:
        platform = (
            ecr_assets.Platform.LINUX_ARM64
            if config.bridge_cpu_architecture == "ARM64"
            else ecr_assets.Platform.LINUX_AMD64
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=config.log_retention,
            removal_policy=RemovalPolicy.DESTROY,
        )
        container = self.task_definition.add_container(
            "bridge",
            # Built by `cdk deploy` from the repository root; synth only stages the context.
            image=ecs.ContainerImage.from_asset(
                str(REPO_ROOT),
                file=c.BRIDGE_DOCKERFILE,
                exclude=IMAGE_EXCLUDES,
                ignore_mode=IgnoreMode.DOCKER,
                platform=platform,
            ),
            port_mappings=[ecs.PortMapping(container_port=c.BRIDGE_PORT)],
            environment={
                c.ENV_TABLE: table.table_name,
                c.ENV_SHOP_ID: config.shop_id,
                c.ENV_BRIDGE_PORT: str(c.BRIDGE_PORT),
                # The function URL ends with "/"; the tools API lives under /tools.
                c.ENV_TOOLS_URL: f"{functions.tools_url.url}tools",
                c.ENV_TOOLS_AUTH: "iam",
                c.ENV_TELEPHONY: "twilio",
                c.ENV_FROM_NUMBER: config.twilio_number,
                c.ENV_POWERTOOLS_SERVICE: c.SERVICE_BRIDGE,
                c.ENV_POWERTOOLS_NAMESPACE: c.METRICS_NAMESPACE,
                c.ENV_POWERTOOLS_LOG_LEVEL: config.log_level,
            },
            secrets={
                c.SECRET_ENV_OPENAI_KEY: ecs.Secret.from_secrets_manager(secrets.openai),
                c.SECRET_ENV_TWILIO_SID: ecs.Secret.from_secrets_manager(
                    secrets.twilio, "account_sid"
                ),
                c.SECRET_ENV_TWILIO_TOKEN: ecs.Secret.from_secrets_manager(
                    secrets.twilio, "auth_token"
                ),
                c.SECRET_ENV_STREAM_TOKEN: ecs.Secret.from_secrets_manager(
                    secrets.stream_token_key
                ),
            },
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="bridge",
                log_group=self.log_group,
                # A slow log pipe must never stall the audio relay.
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
            stop_timeout=STOP_TIMEOUT,
            health_check=ecs.HealthCheck(
                command=["CMD", "python", "-c", HEALTH_CHECK_COMMAND],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(20),
            ),
            # One socket per call leg (Twilio + OpenAI) plus tools requests.
            ulimits=[ecs.Ulimit(name=ecs.UlimitName.NOFILE, soft_limit=65536, hard_limit=65536)],
        )
        nag.acknowledge(
            self.task_definition,
            {
                "AwsSolutions-ECS2": (
                    "Only non-secret configuration (table name, URLs, ports, service names) is "
                    "plain environment; every secret is an ECS secret from Secrets Manager."
                ),
            },
        )
        return container

    # --- load balancer ------------------------------------------------------------------
    def _load_balancer(
        self, config: PitstopConfig
    ) -> tuple[elbv2.ApplicationLoadBalancer, elbv2.ApplicationTargetGroup]:
        lb = elbv2.ApplicationLoadBalancer(
            self,
            "Alb",
            vpc=self.vpc,
            internet_facing=True,
            idle_timeout=Duration.seconds(3600),
            drop_invalid_header_fields=True,
        )
        lb.log_access_logs(self._access_log_bucket(), prefix="alb")
        listener = lb.add_listener(
            "Https",
            port=443,
            protocol=elbv2.ApplicationProtocol.HTTPS,
            certificates=[elbv2.ListenerCertificate.from_arn(config.certificate_arn)],
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
            open=True,
            default_action=elbv2.ListenerAction.fixed_response(
                404, content_type="text/plain", message_body="not found"
            ),
        )
        target_group = listener.add_targets(
            "Bridge",
            priority=10,
            conditions=[
                elbv2.ListenerCondition.path_patterns(
                    [c.BRIDGE_STREAM_PATH, f"{c.BRIDGE_STREAM_PATH}/*", c.BRIDGE_HEALTH_PATH]
                )
            ],
            port=c.BRIDGE_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.service],
            deregistration_delay=Duration.seconds(config.bridge_deregistration_delay_seconds),
            health_check=elbv2.HealthCheck(
                path=c.BRIDGE_HEALTH_PATH,
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        nag.acknowledge(
            lb,
            {
                "AwsSolutions-EC23": (
                    "The load balancer is the public wss:// edge Twilio Media Streams connect to "
                    "from Twilio's changing address ranges; only 443 is open (Twilio never uses ws://)."
                ),
            },
        )
        return lb, target_group

    def _access_log_bucket(self) -> s3.Bucket:
        return access_log_bucket(
            self,
            "AccessLogs",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            not_logged_because=(
                "This bucket receives the load balancer's access logs; logging access to "
                "the log bucket itself would only log the log writes."
            ),
        )

    # --- scaling and DNS -----------------------------------------------------------------
    def _autoscaling(self, config: PitstopConfig) -> None:
        scaling = self.service.auto_scale_task_count(
            min_capacity=config.bridge_desired_count,
            max_capacity=config.bridge_max_count,
        )
        scaling.scale_on_cpu_utilization(
            "Cpu",
            target_utilization_percent=config.bridge_cpu_target_percent,
            scale_in_cooldown=Duration.minutes(10),
            scale_out_cooldown=Duration.minutes(1),
        )
        scaling.scale_to_track_custom_metric(
            "LiveCallsPerTask",
            metric=live_calls_metric(),
            target_value=config.bridge_calls_per_task,
            scale_in_cooldown=Duration.minutes(10),
            scale_out_cooldown=Duration.minutes(1),
        )

    def _dns(self, config: PitstopConfig) -> None:
        if not config.hosted_zone_id:
            return
        zone = route53.HostedZone.from_hosted_zone_attributes(
            self,
            "Zone",
            hosted_zone_id=config.hosted_zone_id,
            zone_name=config.hosted_zone_name,
        )
        route53.ARecord(
            self,
            "BridgeRecord",
            zone=zone,
            record_name=config.domain_name,
            target=route53.RecordTarget.from_alias(
                route53_targets.LoadBalancerTarget(self.load_balancer)
            ),
        )
