"""The shop's services and bays: read, replace as a whole (owners only), history, roll back.

Versioned as the settings are (`functions.admin.settings.store`): a save names the version the
form showed, a stale one is 409, a bad field 422 naming it. Removing a bay that still has
appointments ahead is 409 with the count, so nobody strands a booking. The booking tools read
the services and bays on every call, so the next call books what was saved.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.admin.services import Refusal, current_staff, now, require_owner, services
from functions.admin.settings import old_version, store
from pitstop.admin.catalog import CatalogChange, removed_bays, validated_catalog
from pitstop.admin.settings import Rollback
from pitstop.models import Shop
from pitstop.tools.availability import BOOKING_HORIZON_DAYS

router = Router()


def _current() -> dict[str, Any]:
    catalog, version = services().catalog_log.current()
    return {"version": version, **catalog.model_dump(mode="json")}


@router.get("/admin/catalog")
def read() -> dict[str, Any]:
    return _current()


def _replace(expected: int, body: CatalogChange, rollback_of: int | None = None) -> dict[str, Any]:
    """Make `body` the live catalogue, under today's checks (a rolled-back version too: the slot
    length may have changed, a bay it lacks may have bookings since)."""
    staff = current_staff(router)
    require_owner(staff)
    svc = services()
    shop = svc.crm.shops.catalog().shop
    after = validated_catalog(body, shop.slot_minutes)
    _refuse_stranded(shop, removed_bays(svc.catalog_log.current()[0], after))
    saved = store(svc.catalog_log, staff, expected, after, rollback_of)
    return {**_current(), "saved": saved.model_dump(mode="json")}


def _refuse_stranded(shop: Shop, bays: set[str]) -> None:
    """409 with the count when appointments from now to the booking horizon are in `bays`."""
    if not bays:
        return
    local_now = now().astimezone(ZoneInfo(shop.timezone))
    days = (local_now.date() + timedelta(days=n) for n in range(BOOKING_HORIZON_DAYS + 1))
    count = sum(
        1
        for day in days
        for a in services().crm.appointments.on_day(shop.shop_id, day)
        if a.bay in bays and a.active and a.start >= local_now
    )
    if count:
        raise Refusal(
            409,
            "bay_in_use",
            f"{count} appointment(s) ahead are booked in {', '.join(sorted(bays))}; "
            "move or cancel them before removing the bay.",
            {"appointments": count, "bays": sorted(bays)},
        )


@router.put("/admin/catalog")
def update(body: Annotated[CatalogChange, Body()]) -> dict[str, Any]:
    """Replace the services and bays; each bad field is 422 naming it."""
    return _replace(body.version, body)


@router.get("/admin/catalog/versions")
def versions() -> dict[str, Any]:
    return {"versions": [v.model_dump(mode="json") for v in services().catalog_log.versions()]}


@router.post("/admin/catalog/versions/<version>/rollback")
def rollback(version: int, body: Annotated[Rollback, Body()]) -> dict[str, Any]:
    """Make an earlier catalogue live again, as a new version (history is never rewritten)."""
    require_owner(current_staff(router))
    old = old_version(services().catalog_log, version).settings
    return _replace(body.version, CatalogChange(version=body.version, **old), rollback_of=version)
