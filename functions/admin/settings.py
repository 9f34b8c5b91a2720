"""The agent's settings: read, change (owners only), history, roll back (owners only).

Every save names the version the form was showing; if someone saved in between, the answer is
409 and the console reloads, instead of one owner silently undoing the other.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.admin.services import Refusal, current_staff, now, require_owner, services
from pitstop.admin import settings as agent_settings
from pitstop.admin.settings import Rollback, SettingsChange
from pitstop.dal.settings_log import SettingsVersion, StaleSettings
from pitstop.models import AgentSettings

router = Router()


def _current() -> dict[str, Any]:
    settings, version = services().settings_log.current()
    return {
        "version": version,
        "settings": settings.model_dump(mode="json"),
        "voices": sorted(agent_settings.REALTIME_VOICES),
        "template_variables": sorted(agent_settings.TEMPLATE_VARIABLES),
    }


@router.get("/admin/settings")
def read() -> dict[str, Any]:
    return _current()


def _store(expected: int, after: AgentSettings, rollback_of: int | None = None) -> SettingsVersion:
    log = services().settings_log
    before, live = log.current()
    if live != expected:
        raise _stale(live)
    try:
        return agent_settings.save(
            log, current_staff(router), expected, before, after, now(), rollback_of
        )
    except StaleSettings as error:
        raise _stale(log.current()[1]) from error


def _stale(live: int) -> Refusal:
    return Refusal(
        409, "stale", "Someone saved the settings meanwhile; reload to see them.", {"version": live}
    )


@router.put("/admin/settings")
def update(body: Annotated[SettingsChange, Body()]) -> dict[str, Any]:
    """Change some settings; an invalid value is 422 naming the field (pydantic's message)."""
    require_owner(current_staff(router))
    current, _ = services().settings_log.current()
    after = agent_settings.validated(current, body.settings)
    saved = _store(body.version, after)
    return {**_current(), "saved": saved.model_dump(mode="json")}


@router.get("/admin/settings/versions")
def versions() -> dict[str, Any]:
    return {"versions": [v.model_dump(mode="json") for v in services().settings_log.versions()]}


@router.post("/admin/settings/versions/<version>/rollback")
def rollback(version: int, body: Annotated[Rollback, Body()]) -> dict[str, Any]:
    """Make an earlier version live again, as a new version (history is never rewritten)."""
    require_owner(current_staff(router))
    old = services().settings_log.version(version)
    if old is None:
        raise Refusal(404, "not_found", f"No settings version {version}.")
    after = AgentSettings.model_validate(old.settings)
    saved = _store(body.version, after, rollback_of=version)
    return {**_current(), "saved": saved.model_dump(mode="json")}
