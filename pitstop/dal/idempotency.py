"""Where Powertools keeps its idempotency records: the CRM's own table, one partition a shop.

A tool call that times out at the bridge may still finish in the tools Lambda, and the model then
asks again; the records let the second request get the first one's answer instead of a second
booking or text. They sit under `IDEMPOTENCY#<shop_id>` with the request's hash as the sort key
and expire through the table's TTL attribute, so no second table and no clean-up job.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

from pitstop.config import Settings
from pitstop.dal import keys
from pitstop.dal.table import low_level_client


def persistence_layer(settings: Settings) -> DynamoDBPersistenceLayer:
    """The persistence layer over the settings' table (and endpoint), for their shop."""
    return DynamoDBPersistenceLayer(
        table_name=settings.table_name,
        key_attr=keys.PK,
        static_pk_value=keys.idempotency(settings.shop_id),
        sort_key_attr=keys.SK,
        expiry_attr=keys.TTL,
        boto3_client=low_level_client(settings),
    )
