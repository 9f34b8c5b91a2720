"""The agent settings and the shop profile, each with its change history: every save is a new
numbered version.

The live settings stay where the agent reads them (`SHOP#<shop_id>` / `SETTINGS`, so a call still
reads its whole catalogue in one Query); the history lives in a partition of its own, so it never
slows that Query down. A save writes the new settings and its log entry in one transaction,
guarded by the version the editor read: two owners saving at once cannot silently overwrite each
other (the loser gets `StaleSettings` and reloads). The shop profile (opening hours, holidays)
is versioned the same way, its live item where the handoff and the booking tools read it
(`SHOP#<shop_id>` / `PROFILE`), its history in `SHOPLOG#<shop_id>`.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from pitstop.dal import keys
from pitstop.dal.errors import DataError, NotFound
from pitstop.dal.table import from_item, from_items, query_all, to_item
from pitstop.models import AgentSettings, Bay, Catalog, ServiceType, Shop

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

VERSION_ATTRIBUTE = "settings_version"
HISTORY_PAGE = 50
M = TypeVar("M", bound=BaseModel)


class StaleSettings(DataError):
    """Someone saved the settings after this editor read them."""


class Change(BaseModel):
    before: Any = None
    after: Any = None


class SettingsVersion(BaseModel):
    """One saved state of the settings: who saved it, when, what changed, and the whole state."""

    version: int
    at: datetime
    by: str
    changes: dict[str, Change] = {}
    rollback_of: int | None = None
    settings: dict[str, Any]


class VersionedLog(Generic[M]):
    """One live item of model `M` (`live_key`) and its numbered versions (partition `log_pk`)."""

    def __init__(self, table: Table, model: type[M], live_key: dict[str, str], log_pk: str):
        self._table = table
        self._client = table.meta.client
        self._model = model
        self._live_key = live_key
        self._log_pk = log_pk

    def _unsaved(self) -> M:
        """The state before the first save, when there is no live item at all."""
        raise NotFound(f"no {self._model.__name__} at {self._live_key}")

    def current(self) -> tuple[M, int]:
        """The live state and its version (0: never saved from the console)."""
        item = self._table.get_item(Key=self._live_key).get("Item")
        if item is None:
            return self._unsaved(), 0
        return from_item(self._model, item), int(str(item.get(VERSION_ATTRIBUTE, 0)))

    def save(self, previous: M, entry: SettingsVersion, new: M) -> SettingsVersion:
        """Store `new` as version `entry.version` if the live version is still the one before.

        Only fields somebody set are stored, so an unset `model` keeps following the deployment's
        default. The first save also logs the state it replaces as version 0, so that original
        can be rolled back to.
        """
        expected = entry.version - 1
        settings_item = {
            **_dynamo(self._live_body(new)),
            **self._live_key,
            "entity": self._model.__name__,
            VERSION_ATTRIBUTE: entry.version,
        }
        writes = [self._guarded_put(settings_item, expected), self._log_put(entry)]
        writes += self._live_writes(previous, new)
        if expected == 0:
            writes.append(
                self._log_put(
                    SettingsVersion(
                        version=0,
                        at=entry.at,
                        by="before the console",
                        settings=previous.model_dump(mode="json", exclude_unset=True),
                    )
                )
            )
        try:
            self._client.transact_write_items(TransactItems=writes)
        except self._client.exceptions.TransactionCanceledException as error:
            raise StaleSettings(f"settings changed since version {expected}") from error
        return entry

    def _guarded_put(self, item: dict[str, Any], expected: int) -> TransactWriteItemTypeDef:
        """The live item's write, only if `expected` is still the live version."""
        put: Any = {"TableName": self._table.name, "Item": item}
        if expected == 0:
            put["ConditionExpression"] = f"attribute_not_exists({VERSION_ATTRIBUTE})"
        else:
            put["ConditionExpression"] = f"{VERSION_ATTRIBUTE} = :expected"
            put["ExpressionAttributeValues"] = {":expected": expected}
        return {"Put": put}

    def _live_body(self, new: M) -> dict[str, Any]:
        """What the live item holds: only the fields somebody set."""
        return new.model_dump(mode="json", exclude_unset=True)

    def _live_writes(self, previous: M, new: M) -> list[TransactWriteItemTypeDef]:
        """Writes besides the live item that make `new` live (none: the live item is all)."""
        return []

    def versions(self) -> list[SettingsVersion]:
        """The most recent versions, newest first (one Query)."""
        page = self._table.query(
            KeyConditionExpression=Key(keys.PK).eq(self._log_pk),
            ScanIndexForward=False,
            Limit=HISTORY_PAGE,
        )
        return [from_item(SettingsVersion, item) for item in page.get("Items", [])]

    def version(self, version: int) -> SettingsVersion | None:
        key = keys.item_key(self._log_pk, keys.settings_version_sk(version))
        item = self._table.get_item(Key=key).get("Item")
        return from_item(SettingsVersion, item) if item else None

    def _log_put(self, entry: SettingsVersion) -> TransactWriteItemTypeDef:
        item = {
            **_dynamo(entry.model_dump(mode="json", exclude_none=True)),
            **keys.item_key(self._log_pk, keys.settings_version_sk(entry.version)),
            "entity": "SettingsVersion",
        }
        return {
            "Put": {
                "TableName": self._table.name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }


class SettingsLog(VersionedLog[AgentSettings]):
    """The agent settings (where every call reads them) and their history."""

    def __init__(self, table: Table, shop_id: str):
        live = keys.item_key(keys.shop(shop_id), keys.SETTINGS)
        super().__init__(table, AgentSettings, live, keys.settings_log(shop_id))

    def _unsaved(self) -> AgentSettings:
        return AgentSettings()


class ShopLog(VersionedLog[Shop]):
    """The shop profile (hours, holidays: what the handoff and the bookings read), versioned."""

    def __init__(self, table: Table, shop_id: str):
        live = keys.item_key(keys.shop(shop_id), keys.PROFILE)
        super().__init__(table, Shop, live, keys.shop_log(shop_id))


class CatalogLog(VersionedLog[Catalog]):
    """The services and bays, versioned as one: each stays its own item in the shop's partition
    (where every call's one catalogue Query reads it), a `CATALOG` item carries the version."""

    def __init__(self, table: Table, shop_id: str):
        self._shop_pk = keys.shop(shop_id)
        live = keys.item_key(self._shop_pk, keys.CATALOG)
        super().__init__(table, Catalog, live, f"{keys.CATALOG_LOG}{shop_id}")

    def current(self) -> tuple[Catalog, int]:
        items = query_all(self._table, KeyConditionExpression=Key(keys.PK).eq(self._shop_pk))
        marker = next((i for i in items if i[keys.SK] == keys.CATALOG), {})
        catalog = Catalog(
            services=from_items(ServiceType, items, keys.SERVICE_TYPE),
            bays=from_items(Bay, items, keys.BAY),
        )
        return catalog, int(str(marker.get(VERSION_ATTRIBUTE, 0)))

    def _live_body(self, new: Catalog) -> dict[str, Any]:
        return {}  # the marker carries only the version; the items are the catalogue

    def _live_writes(self, previous: Catalog, new: Catalog) -> list[TransactWriteItemTypeDef]:
        """Put every service and bay of `new`, delete those `previous` had and `new` has not."""
        kept = {keys.service_type_sk(s.code) for s in new.services} | {
            keys.bay_sk(b.bay) for b in new.bays
        }
        gone = [keys.service_type_sk(s.code) for s in previous.services]
        gone += [keys.bay_sk(b.bay) for b in previous.bays]
        writes: list[TransactWriteItemTypeDef] = [
            {"Delete": {"TableName": self._table.name, "Key": keys.item_key(self._shop_pk, sk)}}
            for sk in gone
            if sk not in kept
        ]
        for model, sk in [(s, keys.service_type_sk(s.code)) for s in new.services] + [
            (b, keys.bay_sk(b.bay)) for b in new.bays
        ]:
            item = to_item(model, pk=self._shop_pk, sk=sk)
            writes.append({"Put": {"TableName": self._table.name, "Item": item}})
        return writes


def _dynamo(body: dict[str, Any]) -> dict[str, Any]:
    """JSON numbers as Decimal, as the resource layer stores them."""
    result: dict[str, Any] = json.loads(json.dumps(body), parse_float=Decimal)
    return result
