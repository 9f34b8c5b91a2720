"""Runtime configuration, read from the environment once per process (pydantic-settings).

One name per concept: each field's alias is the variable the CDK stack sets and the local stack
exports, so a value means the same thing in every process. Unset or empty variables keep the
local defaults. Keyword arguments (by field name) win over the environment, which is how tests
and commands point settings at one table.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOOLS_TOKEN = "pitstop-dev-tools-token"
# Where the local stack's moto DynamoDB listens: what the operator commands default to.
LOCAL_DYNAMODB_ENDPOINT = "http://127.0.0.1:5005"


class Settings(BaseSettings):
    """Everything a Pitstop process needs to know about where it runs."""

    model_config = SettingsConfigDict(
        populate_by_name=True, env_ignore_empty=True, extra="ignore", frozen=True
    )

    table_name: str = Field("pitstop", validation_alias="PITSTOP_TABLE")
    dynamodb_endpoint: str | None = Field(None, validation_alias="PITSTOP_DYNAMODB_ENDPOINT")
    aws_region: str = Field(
        "us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    shop_id: str = Field("demo", validation_alias="PITSTOP_SHOP_ID")
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="PITSTOP_PUBLIC_URL")
    bridge_url: str = Field(
        "ws://127.0.0.1:8765/media-stream", validation_alias="PITSTOP_BRIDGE_URL"
    )
    tools_url: str = Field("http://127.0.0.1:8000/tools", validation_alias="PITSTOP_TOOLS_URL")
    tools_auth: Literal["iam", "token"] = Field("token", validation_alias="PITSTOP_TOOLS_AUTH")
    tools_token: str = Field(DEV_TOOLS_TOKEN, validation_alias="PITSTOP_TOOLS_TOKEN")
    telephony: Literal["twilio", "outbox"] = Field("outbox", validation_alias="PITSTOP_TELEPHONY")
    outbox_path: Path = Field(Path(".pitstop/outbox.jsonl"), validation_alias="PITSTOP_OUTBOX")
    from_number: str = Field("+15005550006", validation_alias="PITSTOP_FROM_NUMBER")
    realtime_url: str = Field(
        "wss://api.openai.com/v1/realtime", validation_alias="PITSTOP_REALTIME_URL"
    )
    realtime_model: str = Field("gpt-realtime", validation_alias="PITSTOP_REALTIME_MODEL")
    # Where staff open a call's page (the transcript link on a handed-off call's record).
    console_url: str = Field("http://127.0.0.1:8080", validation_alias="PITSTOP_CONSOLE_URL")
    bridge_port: int = Field(
        8765, ge=0, le=65535, validation_alias="PITSTOP_BRIDGE_PORT", description="0: a free port"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached: the environment does not change under a running process).

    Whoever changes the environment on purpose (tests, the local stack) clears the cache."""
    return Settings()
