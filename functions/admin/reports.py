"""Reports and the price table: what calls cost per day (the console's chart), and the one
table of prices the cost is computed with (owners change it; versioned like the settings)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from functions.admin.calls import shop_day
from functions.admin.services import Refusal, current_staff, require_owner, services
from functions.admin.settings import store
from pitstop.costs import Prices
from pitstop.dal.prices import PricesLog
from pitstop.report import cost_report

router = Router()

#: The longest window the console may ask for (one Query per day).
MAX_REPORT_DAYS = 92
DEFAULT_REPORT_DAYS = 14


class ConsolePrices(Prices):
    """`Prices` as the console may write them: a mistyped name is refused, not dropped."""

    model_config = ConfigDict(extra="forbid")


class PricesChange(BaseModel):
    """A save from the prices form: the whole table, and the version the form showed."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0)
    prices: ConsolePrices


def _prices_log() -> PricesLog:
    svc = services()
    return PricesLog(svc.crm.table, svc.crm.settings.shop_id)


@router.get("/admin/reports/costs")
def costs(
    since: Annotated[date | None, Query()] = None,
    until: Annotated[date | None, Query()] = None,
) -> dict[str, Any]:
    """Cost and latency per day over [since, until] (the shop's days; default: two weeks)."""
    until = until or shop_day(None)[0]
    since = since or until - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if since > until:
        raise Refusal(422, "invalid_window", "since is after until.")
    if (until - since).days >= MAX_REPORT_DAYS:
        raise Refusal(422, "invalid_window", f"At most {MAX_REPORT_DAYS} days at a time.")
    return cost_report(services().crm, since, until).model_dump(mode="json")


def _prices() -> dict[str, Any]:
    prices, version = _prices_log().current()
    return {"version": version, "prices": prices.model_dump(mode="json")}


@router.get("/admin/prices")
def read_prices() -> dict[str, Any]:
    return _prices()


@router.put("/admin/prices")
def update_prices(body: Annotated[PricesChange, Body()]) -> dict[str, Any]:
    """Replace the price table (owners); calls priced from now on use it, earlier ones keep
    the prices they were priced with (each cost names its version)."""
    staff = current_staff(router)
    require_owner(staff)
    prices = Prices.model_validate(body.prices.model_dump(exclude_unset=True))
    saved = store(_prices_log(), staff, body.version, prices)
    return {**_prices(), "saved": saved.model_dump(mode="json")}


@router.get("/admin/prices/versions")
def price_versions() -> dict[str, Any]:
    return {"versions": [v.model_dump(mode="json") for v in _prices_log().versions()]}
