"""The shop's opening hours and holidays from the console: validated, versioned, reversible.

The hours are the `Shop` profile the agent's handoff (`pitstop.handoff.is_open`) and the booking
tools read, so a saved holiday closes the line for handoffs and bookings on the next call. The
form may change only these fields; the shop's name, phone and time zone are deployment facts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pitstop.models import WEEKDAYS, OpeningHours, Shop


class ConsoleOpeningHours(OpeningHours):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _opens_before_closing(self) -> ConsoleOpeningHours:
        if self.opens >= self.closes:
            raise ValueError(f"opens at {self.opens} but closes at {self.closes}")
        return self


class ConsoleShopHours(BaseModel):
    """What the shop form edits: every weekday (None: closed that day) and the holidays."""

    model_config = ConfigDict(extra="forbid")

    opening_hours: dict[str, ConsoleOpeningHours | None]
    holidays: list[date] = Field(default=[], max_length=366)

    @field_validator("opening_hours")
    @classmethod
    def _weekdays(
        cls, value: dict[str, ConsoleOpeningHours | None]
    ) -> dict[str, ConsoleOpeningHours | None]:
        if unknown := sorted(set(value) - set(WEEKDAYS)):
            raise ValueError(f"unknown weekday(s) {unknown}; use {list(WEEKDAYS)}")
        return {day: value.get(day) for day in WEEKDAYS}

    @field_validator("holidays")
    @classmethod
    def _sorted_once(cls, value: list[date]) -> list[date]:
        return sorted(set(value))


class ShopChange(BaseModel):
    """A save from the shop form: the changed fields and the version the form showed."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="the version the editor read (optimistic locking)")
    shop: dict[str, Any]


EDITABLE = tuple(ConsoleShopHours.model_fields)


def editable(shop: Shop) -> dict[str, Any]:
    """The part of the profile the form shows."""
    return shop.model_dump(mode="json", include=set(EDITABLE))


def validated_shop(current: Shop, changes: dict[str, Any]) -> Shop:
    """The profile after `changes`, or a pydantic `ValidationError` naming each bad field."""
    checked = ConsoleShopHours.model_validate({**editable(current), **changes})
    return Shop.model_validate(
        {**current.model_dump(mode="json", exclude_unset=True), **checked.model_dump(mode="json")}
    )
