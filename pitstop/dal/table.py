"""The DynamoDB connection and the conversions between items and domain models."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import boto3
from botocore.config import Config
from pydantic import BaseModel

from pitstop.config import Settings
from pitstop.dal import keys

if TYPE_CHECKING:  # the stubs are a dev dependency; the runtime needs only boto3
    from typing import Unpack

    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.service_resource import DynamoDBServiceResource, Table
    from mypy_boto3_dynamodb.type_defs import (
        QueryInputTableQueryTypeDef,
        TableAttributeValueTypeDef,
    )

    # One attribute's value as the resource layer takes it (str, int, Decimal, bool, list, …).
    AttributeValue: TypeAlias = TableAttributeValueTypeDef

M = TypeVar("M", bound=BaseModel)
# An item as boto3's resource layer reads and writes it: attribute name → Python value.
Item = Mapping[str, Any]

# The table's shape, for creating it locally and in tests; the CDK stack declares the same.
TABLE_SCHEMA: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": keys.PK, "KeyType": "HASH"},
        {"AttributeName": keys.SK, "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"}
        for name in (keys.PK, keys.SK, keys.GSI1_PK, keys.GSI1_SK)
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": keys.GSI1,
            "KeySchema": [
                {"AttributeName": keys.GSI1_PK, "KeyType": "HASH"},
                {"AttributeName": keys.GSI1_SK, "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


# Short timeouts and standard retries: a phone caller is waiting on every request.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    max_pool_connections=50,
)


@lru_cache(maxsize=8)
def _resource(endpoint: str | None, region: str) -> DynamoDBServiceResource:
    return boto3.resource("dynamodb", endpoint_url=endpoint, region_name=region, config=_CONFIG)


@lru_cache(maxsize=8)
def _client(endpoint: str | None, region: str) -> DynamoDBClient:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, config=_CONFIG)


def low_level_client(settings: Settings) -> DynamoDBClient:
    """A plain DynamoDB client (typed `{"S": ...}` values), for libraries that speak that
    dialect (Powertools idempotency): the resource's own client re-serialises every value."""
    return _client(settings.dynamodb_endpoint, settings.aws_region)


def table_for(settings: Settings) -> Table:
    """The boto3 Table for these settings (connections are pooled per endpoint)."""
    return _resource(settings.dynamodb_endpoint, settings.aws_region).Table(settings.table_name)


def create_table(settings: Settings) -> None:
    """Create the table if it does not exist (local stack and tests; AWS gets it from CDK)."""
    client = _resource(settings.dynamodb_endpoint, settings.aws_region).meta.client
    try:
        client.create_table(TableName=settings.table_name, **TABLE_SCHEMA)
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=settings.table_name)


def to_item(model: BaseModel, **key_attributes: str | int) -> dict[str, Any]:
    """A model as a DynamoDB item: JSON-mode dump (dates as ISO text), numbers as Decimal."""
    body = json.loads(model.model_dump_json(exclude_none=True), parse_float=Decimal)
    return {**body, "entity": type(model).__name__, **key_attributes}


def from_item(model: type[M], item: Item) -> M:
    """A DynamoDB item back as a model (Decimals become ints or floats as the model says)."""
    return model.model_validate(_plain(item))


def from_items(model: type[M], items: Iterable[Item], sk_prefix: str) -> list[M]:
    """The items of one kind in a partition read whole (their sort keys share `sk_prefix`)."""
    return [from_item(model, i) for i in items if str(i[keys.SK]).startswith(sk_prefix)]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def query_all(table: Table, **query: Unpack[QueryInputTableQueryTypeDef]) -> list[Item]:
    """Every item of a Query, following pagination (a partition can outgrow one 1 MB page)."""
    items: list[Item] = []
    while True:
        page = table.query(**query)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
