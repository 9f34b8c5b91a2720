"""Names the stack shares with the application code.

The environment variable names, metric names and service names here are the contract between the
infrastructure and the code that runs on it (see the shared contract): the stack sets exactly these
names, the code reads and emits exactly these names. Change one side only together with the other.
"""

from __future__ import annotations

from typing import Final

# --- Powertools / metrics -------------------------------------------------------------------
METRICS_NAMESPACE: Final = "Pitstop"
# Powertools Metrics adds a `service` dimension (= POWERTOOLS_SERVICE_NAME) to every metric it
# emits, so every metric the dashboard and the autoscaling read carries `service=<one of these>`.
SERVICE_WEBHOOK: Final = "webhook"
SERVICE_TOOLS: Final = "tools"
SERVICE_REMINDERS: Final = "reminders"
SERVICE_BRIDGE: Final = "media_bridge"
SERVICE_ADMIN: Final = "admin"
SERVICE_LIVE: Final = "live"

# Where Twilio serves the recordings of calls the bridge did not carry (the call page plays them).
TWILIO_RECORDINGS_ORIGIN: Final = "https://api.twilio.com"

# Metric names the code emits (namespace Pitstop, dimension service=...).
METRIC_LIVE_CALLS: Final = "LiveCalls"  # bridge: gauge, calls open on this task (Count)
METRIC_CALL_OUTCOME: Final = "CallOutcome"  # bridge: +1 per ended call, extra dimension `outcome`
# ms; the bridge emits the round trip it waits for (service=media_bridge), the tools function
# its own execution time (service=tools).
METRIC_TOOL_LATENCY: Final = "ToolLatency"
METRIC_REMINDERS_DUE: Final = "RemindersDue"  # reminders: Count per run
METRIC_REMINDERS_DIALLED: Final = "RemindersDialled"
METRIC_REMINDERS_FAILED: Final = "RemindersFailed"
METRIC_REMINDERS_SKIPPED: Final = "RemindersSkipped"  # extra dimension `reason`
DIMENSION_OUTCOME: Final = "outcome"
DIMENSION_REASON: Final = "reason"

# --- Environment variable names (one name per concept; see pitstop/config.py) ---------------
ENV_TABLE: Final = "PITSTOP_TABLE"
ENV_SHOP_ID: Final = "PITSTOP_SHOP_ID"
ENV_PUBLIC_URL: Final = "PITSTOP_PUBLIC_URL"
ENV_CONSOLE_URL: Final = "PITSTOP_CONSOLE_URL"  # a handed-off call's transcript link
ENV_BRIDGE_URL: Final = "PITSTOP_BRIDGE_URL"
ENV_TOOLS_URL: Final = "PITSTOP_TOOLS_URL"
ENV_TOOLS_AUTH: Final = "PITSTOP_TOOLS_AUTH"
ENV_TELEPHONY: Final = "PITSTOP_TELEPHONY"
ENV_FROM_NUMBER: Final = "PITSTOP_FROM_NUMBER"
ENV_CALLS_PER_SECOND: Final = "PITSTOP_CALLS_PER_SECOND"
ENV_BRIDGE_PORT: Final = "PITSTOP_BRIDGE_PORT"
ENV_TWILIO_SECRET_ARN: Final = "PITSTOP_TWILIO_SECRET_ARN"
ENV_STREAM_TOKEN_SECRET_ARN: Final = "PITSTOP_STREAM_TOKEN_KEY_ARN"
# The console (functions/live/services.py reads these three).
ENV_USER_POOL_ID: Final = "PITSTOP_USER_POOL_ID"
ENV_USER_POOL_CLIENT_ID: Final = "PITSTOP_USER_POOL_CLIENT_ID"
ENV_LIVE_ENDPOINT: Final = "PITSTOP_LIVE_ENDPOINT"
ENV_POWERTOOLS_SERVICE: Final = "POWERTOOLS_SERVICE_NAME"
ENV_POWERTOOLS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
ENV_POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
ENV_POWERTOOLS_PARAMETERS_MAX_AGE: Final = "POWERTOOLS_PARAMETERS_MAX_AGE"

# Secret values reach the bridge container as ECS secrets under these names (never plain env).
SECRET_ENV_OPENAI_KEY: Final = "OPENAI_API_KEY"
SECRET_ENV_TWILIO_SID: Final = "TWILIO_ACCOUNT_SID"
SECRET_ENV_TWILIO_TOKEN: Final = "TWILIO_AUTH_TOKEN"
SECRET_ENV_STREAM_TOKEN: Final = "PITSTOP_STREAM_TOKEN_KEY"
SECRET_ENV_NAMES: Final = (
    SECRET_ENV_OPENAI_KEY,
    SECRET_ENV_TWILIO_SID,
    SECRET_ENV_TWILIO_TOKEN,
    SECRET_ENV_STREAM_TOKEN,
)

# --- Secrets Manager names ------------------------------------------------------------------
SECRET_NAME_OPENAI: Final = "pitstop/openai"
SECRET_NAME_TWILIO: Final = "pitstop/twilio"
SECRET_NAME_STREAM_TOKEN: Final = "pitstop/stream-token-key"

# --- Lambda functions -----------------------------------------------------------------------
LAMBDA_PYTHON_VERSION: Final = "3.12"
LAMBDA_PIP_PLATFORM: Final = "manylinux2014_aarch64"
# The Lambdas' runtime dependencies, hashed, exported from uv.lock by `make requirements`
# (never edited by hand); boto3/botocore/s3transfer are left out: the Lambda runtime has them.
LAMBDA_REQUIREMENTS: Final = "functions/requirements.txt"
HANDLER: Final = "functions.{name}.handler.lambda_handler"
# The live view's three functions share one bundle (functions/live), one module each.
LIVE_HANDLER: Final = "functions.live.{module}.lambda_handler"

# --- Media bridge ---------------------------------------------------------------------------
BRIDGE_PORT: Final = 8080
BRIDGE_HEALTH_PATH: Final = "/health"
BRIDGE_STREAM_PATH: Final = "/media-stream"
BRIDGE_DOCKERFILE: Final = "containers/media_bridge/Dockerfile"

# --- Webhook routes (HTTP API → webhook Lambda); the tools function has no route here --------
WEBHOOK_ROUTES: Final = (
    ("POST", "/voice"),
    ("POST", "/voice/reminder"),
    ("POST", "/voice/status"),
    ("POST", "/voice/fallback"),
    ("POST", "/voice/stream-ended"),  # <Connect action>: a stream that ended too early
    ("POST", "/voice/dial-ended"),  # <Dial action>: a handoff answered or not
    ("POST", "/voice/whisper"),  # <Number url>: what staff hear before connecting
    ("POST", "/voice/message-recorded"),  # <Record action>: a message left for the shop
    ("POST", "/voice/recording"),  # recordingStatusCallback: a Twilio recording linked on the call
    ("POST", "/sms"),  # a text from a customer: STOP/START/HELP, replies to a reminder text
    ("GET", "/health"),
)

# The tools Lambda gives up before the bridge does (`BridgeOptions.tool_timeout`, 8 s): a tool
# the bridge has abandoned must not go on to book or text behind the caller's back.
TOOLS_TIMEOUT_SECONDS: Final = 6

# --- The console (S3 + CloudFront, Cognito, the admin API, the live view) ---------------------
CONSOLE_DIR: Final = "console"
# Under the webhook HTTP API, each behind the Cognito JWT authorizer; CloudFront sends /admin/*.
ADMIN_ROUTES: Final = (
    ("GET", "/admin/{proxy+}"),
    ("POST", "/admin/{proxy+}"),
    ("PUT", "/admin/{proxy+}"),
)
STAFF_GROUPS: Final = ("owners", "advisors")  # pitstop/admin/staff.py Role
LIVE_STAGE: Final = "live"
