"""The shop's catalogue: profile, service types, bays and agent settings (one partition)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

from pitstop.dal import keys
from pitstop.dal.errors import NotFound
from pitstop.dal.table import from_item, from_items, query_all, to_item
from pitstop.models import AgentSettings, Bay, ServiceType, Shop

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


@dataclass(frozen=True)
class ShopCatalog:
    """Everything about the shop that a call needs, read in one Query."""

    shop: Shop
    services: dict[str, ServiceType]
    bays: dict[str, Bay]
    settings: AgentSettings

    def service(self, code_or_name: str) -> ServiceType | None:
        """Find a service by code, name or alias, forgiving case and spacing as callers speak."""
        wanted = " ".join(code_or_name.lower().replace("_", " ").replace("-", " ").split())
        for service in self.services.values():
            names = [service.code.replace("_", " "), service.name.lower(), *service.aliases]
            if wanted in [n.lower() for n in names]:
                return service
        return None


class ShopRepository:
    def __init__(self, table: Table, shop_id: str):
        self._table = table
        self.shop_id = shop_id

    def catalog(self) -> ShopCatalog:
        items = query_all(
            self._table, KeyConditionExpression=Key(keys.PK).eq(keys.shop(self.shop_id))
        )
        by_sk = {item[keys.SK]: item for item in items}
        if keys.PROFILE not in by_sk:
            raise NotFound(f"shop {self.shop_id} is not set up (run `pitstop seed`)")
        settings = by_sk.get(keys.SETTINGS)
        return ShopCatalog(
            shop=from_item(Shop, by_sk[keys.PROFILE]),
            services={s.code: s for s in from_items(ServiceType, items, keys.SERVICE_TYPE)},
            bays={b.bay: b for b in from_items(Bay, items, keys.BAY)},
            settings=from_item(AgentSettings, settings) if settings else AgentSettings(),
        )

    def settings(self) -> AgentSettings:
        item = self._table.get_item(Key=keys.item_key(keys.shop(self.shop_id), keys.SETTINGS))
        return from_item(AgentSettings, item["Item"]) if "Item" in item else AgentSettings()

    def put_shop(self, shop: Shop) -> None:
        self._put(shop, keys.PROFILE)

    def put_service(self, service: ServiceType) -> None:
        self._put(service, keys.service_type_sk(service.code))

    def put_bay(self, bay: Bay) -> None:
        self._put(bay, keys.bay_sk(bay.bay))

    def put_settings(self, settings: AgentSettings) -> None:
        self._put(settings, keys.SETTINGS)

    def _put(self, model: BaseModel, sk: str) -> None:
        self._table.put_item(Item=to_item(model, pk=keys.shop(self.shop_id), sk=sk))
