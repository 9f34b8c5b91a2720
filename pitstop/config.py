"""Runtime configuration, read from the environment once per process.

One name per concept: the variable names here are the ones the CDK stack sets and the local
stack exports, so a value means the same thing in every process.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

DEV_TOOLS_TOKEN = "pitstop-dev-tools-token"


class Settings(BaseModel):
    """Everything a Pitstop process needs to know about where it runs."""

    table_name: str = "pitstop"
    dynamodb_endpoint: str | None = None
    aws_region: str = "us-east-1"
    shop_id: str = "demo"
    public_url: str = "http://127.0.0.1:8000"
    bridge_url: str = "ws://127.0.0.1:8765/media-stream"
    tools_url: str = "http://127.0.0.1:8000/tools"
    tools_auth: Literal["iam", "token"] = "token"
    tools_token: str = DEV_TOOLS_TOKEN
    telephony: Literal["twilio", "outbox"] = "outbox"
    outbox_path: Path = Path(".pitstop/outbox.jsonl")
    from_number: str = "+15005550006"
    realtime_url: str = "wss://api.openai.com/v1/realtime"
    realtime_model: str = "gpt-realtime"
    bridge_port: int = Field(default=8765, ge=0, le=65535, description="0 picks a free port")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables; unset ones keep their local defaults."""
        env = os.environ if env is None else env
        names = {
            "table_name": "PITSTOP_TABLE",
            "dynamodb_endpoint": "PITSTOP_DYNAMODB_ENDPOINT",
            "shop_id": "PITSTOP_SHOP_ID",
            "public_url": "PITSTOP_PUBLIC_URL",
            "bridge_url": "PITSTOP_BRIDGE_URL",
            "tools_url": "PITSTOP_TOOLS_URL",
            "tools_auth": "PITSTOP_TOOLS_AUTH",
            "tools_token": "PITSTOP_TOOLS_TOKEN",
            "telephony": "PITSTOP_TELEPHONY",
            "outbox_path": "PITSTOP_OUTBOX",
            "from_number": "PITSTOP_FROM_NUMBER",
            "realtime_url": "PITSTOP_REALTIME_URL",
            "realtime_model": "PITSTOP_REALTIME_MODEL",
            "bridge_port": "PITSTOP_BRIDGE_PORT",
        }
        values: dict[str, str] = {field: env[var] for field, var in names.items() if env.get(var)}
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if region:
            values["aws_region"] = region
        return cls(**values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached: the environment does not change under a running process)."""
    return Settings.from_env()
