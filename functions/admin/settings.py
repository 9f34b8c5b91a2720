"""The agent's settings and the shop's hours: read, change (owners only), history, roll back.

Every save names the version the form was showing; if someone saved in between, the answer is
409 and the console reloads, instead of one owner silently undoing the other. The agent settings
and the shop profile are two versioned items with the same rules (`pitstop.dal.settings_log`).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from functions.admin.services import Refusal, current_staff, now, require_owner, services
from pitstop.admin import settings as agent_settings
from pitstop.admin import shop as shop_hours
from pitstop.admin.settings import Rollback, SettingsChange
from pitstop.admin.shop import ShopChange
from pitstop.admin.staff import Staff
from pitstop.dal.settings_log import SettingsVersion, StaleSettings, VersionedLog
from pitstop.models import WEEKDAYS, AgentSettings, Shop
from pitstop.templates import TEMPLATE_VARIABLES
from pitstop.voice_settings import VOICES

router = Router()
M = TypeVar("M", bound=BaseModel)


def _current() -> dict[str, Any]:
    settings, version = services().settings_log.current()
    return {
        "version": version,
        "settings": settings.model_dump(mode="json"),
        "voices": list(VOICES),
        "template_variables": sorted(TEMPLATE_VARIABLES),
    }


@router.get("/admin/settings")
def read() -> dict[str, Any]:
    return _current()


def store(
    log: VersionedLog[M], staff: Staff, expected: int, after: M, rollback_of: int | None = None
) -> SettingsVersion:
    """Save `after` as the version after `expected` (409 if someone saved meanwhile); the
    settings, the shop's hours and the catalogue alike."""
    before, live = log.current()
    if live != expected:
        raise _stale(live)
    try:
        return agent_settings.save(log, staff, expected, before, after, now(), rollback_of)
    except StaleSettings as error:
        raise _stale(log.current()[1]) from error


def _stale(live: int) -> Refusal:
    return Refusal(
        409, "stale", "Someone saved the settings meanwhile; reload to see them.", {"version": live}
    )


def old_version(log: VersionedLog[M], version: int) -> SettingsVersion:
    old = log.version(version)
    if old is None:
        raise Refusal(404, "not_found", f"No version {version}.")
    return old


@router.put("/admin/settings")
def update(body: Annotated[SettingsChange, Body()]) -> dict[str, Any]:
    """Change some settings; an invalid value is 422 naming the field (pydantic's message)."""
    require_owner(current_staff(router))
    log = services().settings_log
    after = agent_settings.validated(log.current()[0], body.settings)
    saved = store(log, current_staff(router), body.version, after)
    return {**_current(), "saved": saved.model_dump(mode="json")}


@router.get("/admin/settings/versions")
def versions() -> dict[str, Any]:
    return {"versions": [v.model_dump(mode="json") for v in services().settings_log.versions()]}


@router.post("/admin/settings/versions/<version>/rollback")
def rollback(version: int, body: Annotated[Rollback, Body()]) -> dict[str, Any]:
    """Make an earlier version live again, as a new version (history is never rewritten)."""
    require_owner(current_staff(router))
    log = services().settings_log
    after = AgentSettings.model_validate(old_version(log, version).settings)
    saved = store(log, current_staff(router), body.version, after, rollback_of=version)
    return {**_current(), "saved": saved.model_dump(mode="json")}


def _shop() -> dict[str, Any]:
    shop, version = services().shop_log.current()
    return {"version": version, "shop": shop_hours.editable(shop), "weekdays": list(WEEKDAYS)}


@router.get("/admin/shop")
def read_shop() -> dict[str, Any]:
    return _shop()


@router.put("/admin/shop")
def update_shop(body: Annotated[ShopChange, Body()]) -> dict[str, Any]:
    """Change the opening hours or holidays (owners); bad hours are 422 naming the weekday."""
    require_owner(current_staff(router))
    log = services().shop_log
    after = shop_hours.validated_shop(log.current()[0], body.shop)
    saved = store(log, current_staff(router), body.version, after)
    return {**_shop(), "saved": saved.model_dump(mode="json")}


@router.get("/admin/shop/versions")
def shop_versions() -> dict[str, Any]:
    return {"versions": [v.model_dump(mode="json") for v in services().shop_log.versions()]}


@router.post("/admin/shop/versions/<version>/rollback")
def rollback_shop(version: int, body: Annotated[Rollback, Body()]) -> dict[str, Any]:
    require_owner(current_staff(router))
    log = services().shop_log
    after = Shop.model_validate(old_version(log, version).settings)
    saved = store(log, current_staff(router), body.version, after, rollback_of=version)
    return {**_shop(), "saved": saved.model_dump(mode="json")}
