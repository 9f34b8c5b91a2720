"""The shop's price table, versioned as the agent settings are (`VersionedLog`).

Its own partition, not the shop's: every call Queries the shop's partition for its catalogue,
and prices are read only after a call (and by the console). Before the first save the table
holds nothing and the code's defaults (`pitstop.costs.Prices()`) are the prices, version 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pitstop.costs import Prices
from pitstop.dal import keys
from pitstop.dal.settings_log import VersionedLog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table


class PricesLog(VersionedLog[Prices]):
    """The live prices (`PRICES#<shop_id>`) and their history (`PRICESLOG#<shop_id>`)."""

    def __init__(self, table: Table, shop_id: str):
        live = keys.item_key(keys.prices(shop_id), keys.PRICES_LIVE)
        super().__init__(table, Prices, live, keys.prices_log(shop_id))

    def _unsaved(self) -> Prices:
        return Prices()
