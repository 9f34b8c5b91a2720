"""What the webhook needs to answer an inbound call, in one request.

Twilio waits on `/voice`, and every DynamoDB round trip is on the caller's ring: so the shop's
profile and agent settings, the bridge fleet's latest heartbeat and the caller's phone-number
owner — four items of known keys in three partitions — come back from one BatchGetItem. (The
services and bays are not needed to answer, so the shop's whole partition is not queried.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pitstop.dal import heartbeats, keys
from pitstop.dal.errors import NotFound
from pitstop.dal.table import from_item
from pitstop.models import AgentSettings, Shop

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

# BatchGetItem may hand back keys it did not get to (throttling): ask again, this many times.
_ROUNDS = 3


@dataclass(frozen=True)
class CallSetup:
    """The shop, its agent settings, who is calling and whether a bridge can take the call."""

    shop: Shop
    settings: AgentSettings
    customer_id: str | None
    bridge_alive: bool | None  # `heartbeats.verdict`: None when no bridge ever beat


class CallSetupReader:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self._shop_id = shop_id

    def read(self, caller: str, now: datetime) -> CallSetup:
        """One consistent BatchGetItem (`caller` "" for a withheld number: no owner to read)."""
        profile = keys.item_key(keys.shop(self._shop_id), keys.PROFILE)
        settings = keys.item_key(keys.shop(self._shop_id), keys.SETTINGS)
        fleet = heartbeats.fleet_key(self._shop_id)
        owner = keys.item_key(keys.phone(caller), keys.PHONE_OWNER) if caller else None
        items = self._batch_get([k for k in (profile, settings, fleet, owner) if k])
        if _id(profile) not in items:
            raise NotFound(f"shop {self._shop_id} is not set up (run `pitstop seed`)")
        settings_item = items.get(_id(settings))
        owner_item = items.get(_id(owner)) if owner else None
        return CallSetup(
            shop=from_item(Shop, items[_id(profile)]),
            settings=from_item(AgentSettings, settings_item) if settings_item else AgentSettings(),
            customer_id=str(owner_item["customer_id"]) if owner_item else None,
            bridge_alive=heartbeats.verdict(items.get(_id(fleet)), now),
        )

    def _batch_get(self, wanted: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        client, name = self._table.meta.client, self._table.name
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: dict[str, Any] = {name: {"Keys": wanted, "ConsistentRead": True}}
        for _ in range(_ROUNDS):
            reply = client.batch_get_item(RequestItems=request)
            for item in reply.get("Responses", {}).get(name, []):
                found[_id(item)] = item
            request = reply.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("DynamoDB left keys unprocessed; the caller gets the fallback")


def _id(item: Any) -> tuple[str, str]:
    return str(item[keys.PK]), str(item[keys.SK])
