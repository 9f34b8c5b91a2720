"""What the live-view functions work with, built once per container.

The stack sets the user pool and the WebSocket API's `@connections` endpoint alongside the
table; the names are in `infra/constants.py`. boto3 finds a Cognito endpoint override (the tests'
moto server) in the standard `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` variable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import boto3
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pitstop import config
from pitstop.config import Settings
from pitstop.dal.connections import ConnectionRepository
from pitstop.dal.table import table_for


class LiveSettings(BaseSettings):
    """The Cognito app client whose tokens open the live view, and where to post messages."""

    model_config = SettingsConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    user_pool_id: str = Field("", validation_alias="PITSTOP_USER_POOL_ID")
    user_pool_client_id: str = Field("", validation_alias="PITSTOP_USER_POOL_CLIENT_ID")
    # https://<api id>.execute-api.<region>.amazonaws.com/<stage>
    live_endpoint: str = Field("", validation_alias="PITSTOP_LIVE_ENDPOINT")


@lru_cache(maxsize=1)
def live_settings() -> LiveSettings:
    return LiveSettings()


def connections() -> ConnectionRepository:
    return _connections(config.get_settings())


@lru_cache(maxsize=1)
def _connections(settings: Settings) -> ConnectionRepository:
    return ConnectionRepository(table_for(settings), settings.shop_id)


@lru_cache(maxsize=1)
def cognito() -> Any:  # no boto3 type stubs are installed for cognito-idp
    return boto3.client("cognito-idp", region_name=config.get_settings().aws_region)


@lru_cache(maxsize=1)
def management_api() -> Any:  # nor for apigatewaymanagementapi
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=live_settings().live_endpoint,
        region_name=config.get_settings().aws_region,
    )


def now() -> datetime:
    return datetime.now(UTC)
