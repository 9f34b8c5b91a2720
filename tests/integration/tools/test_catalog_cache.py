"""One catalogue read per call for the tools (`pitstop.dal.catalog_cache`), never a stale one
for the next call: DynamoDB requests counted on the wire, against moto over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pitstop.dal.catalog_cache import MAX_AGE, CallCatalogs
from pitstop.tools import ToolContext

from .conftest import ALEX, MONDAY

CHECK = {"service_type": "oil change", "preferred_date": MONDAY.isoformat()}


@pytest.fixture
def shop_reads(shop) -> Iterator[list[str]]:
    """The shop-partition Queries (catalogue reads) made from here on."""
    made: list[str] = []
    events = shop.table.meta.client.meta.events

    def count(model, params, **_):  # `params`: the request as it goes on the wire
        if model.name == "Query" and b'{"S": "SHOP#' in params["body"]:
            made.append(model.name)

    events.register("before-call.dynamodb", count)
    yield made
    events.unregister("before-call.dynamodb", count)


def test_one_calls_tools_share_one_catalogue_read(tool, shop_reads):
    for _ in range(3):
        assert tool("check_availability", CHECK)["ok"]
    assert tool("get_upcoming_appointments", {})["ok"]
    assert len(shop_reads) == 1


def test_the_next_call_sees_a_catalogue_change_at_once(tool, shop, shop_reads):
    before = tool("check_availability", CHECK)
    assert before["ok"] and before["slots"]
    oil = next(s for s in shop.shops.catalog().services.values() if s.code == "oil_change")
    shop.shops.put_service(oil.model_copy(update={"bays": []}))  # no bay offers it any more
    next_call = ToolContext(**{**ALEX.model_dump(), "call_sid": "CAalex2"})
    after = tool("check_availability", CHECK, next_call)
    assert not after.get("slots"), after
    assert len(shop_reads) == 3  # the first call's read, the check above, the next call's


def test_a_long_call_reads_again_after_max_age(shop):
    now = [0.0]
    reads: list[int] = []

    def read():
        reads.append(1)
        return shop.shops.catalog()

    catalogs = CallCatalogs(read, clock=lambda: now[0])
    first = catalogs.for_call("CAlong")
    now[0] = MAX_AGE - 1
    assert catalogs.for_call("CAlong") is first and len(reads) == 1
    now[0] = MAX_AGE + 1
    assert catalogs.for_call("CAlong") is not first and len(reads) == 2
    assert catalogs.for_call("") is not first and len(reads) == 3  # no call: no sharing
