"""Changing the agent settings from the console: validated, versioned, reversible.

A change is validated by the very model the agent reads (`AgentSettings`), tightened with the
checks a form needs and the agent cannot make at call time: unknown fields, template variables
nobody fills in, limits that would make calls absurd (voices, speed and turn detection are checked
by `AgentSettings` itself, against `pitstop.voice_settings`). A
refused change says which field and why; an accepted one becomes the next version, with who made
it and what changed, and the next call uses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pitstop.admin.staff import Staff
from pitstop.dal.settings_log import Change, SettingsVersion, VersionedLog
from pitstop.models import AgentSettings
from pitstop.templates import check_template

M = TypeVar("M", bound=BaseModel)


class ConsoleAgentSettings(AgentSettings):
    """`AgentSettings` as the console may write them: strict about what a person can mistype."""

    model_config = ConfigDict(extra="forbid")

    persona_name: str = Field("Robin", min_length=1, max_length=40)
    max_call_seconds: int = Field(600, ge=60, le=3600)
    silence_timeout_seconds: int = Field(30, ge=5, le=300)
    extra_instructions: str = Field("", max_length=4000)
    greeting: str = Field("", max_length=400)

    @field_validator("extra_instructions", "greeting")
    @classmethod
    def _known_variables(cls, value: str) -> str:
        return check_template(value)


class SettingsChange(BaseModel):
    """A save from the settings form: the fields that change, and the version the form showed."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="the version the editor read (optimistic locking)")
    settings: dict[str, Any]


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="the live version the editor read")


def validated(current: AgentSettings, changes: dict[str, Any]) -> AgentSettings:
    """The settings after `changes`, or a pydantic `ValidationError` naming each bad field."""
    merged = {**current.model_dump(mode="json", exclude_unset=True), **changes}
    checked = ConsoleAgentSettings.model_validate(merged)
    return AgentSettings.model_validate(checked.model_dump(mode="json", exclude_unset=True))


def differences(before: BaseModel, after: BaseModel) -> dict[str, Change]:
    old, new = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {k: Change(before=old[k], after=new[k]) for k in new if old.get(k) != new[k]}


def save(
    log: VersionedLog[M],
    staff: Staff,
    expected: int,
    before: M,
    after: M,
    now: datetime,
    rollback_of: int | None = None,
) -> SettingsVersion:
    """Store `after` as the next version of `log`'s item (`StaleSettings` if `expected` is no
    longer live): the agent settings and the shop profile alike."""
    entry = SettingsVersion(
        version=expected + 1,
        at=now,
        by=staff.username,
        changes=differences(before, after),
        rollback_of=rollback_of,
        settings=after.model_dump(mode="json", exclude_unset=True),
    )
    return log.save(before, entry, after)
