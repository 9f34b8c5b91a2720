"""The shop's services and bays from the console: validated as a whole, versioned, reversible.

The console sends both lists whole, so one save is one consistent catalogue: every service names
bays that exist, every duration fits the shop's slot grid (availability is searched in slots), and
prices read as a range. The tools read the same items on the next call, so a new service is
bookable without a deploy. A bay with appointments still ahead cannot be removed: those bookings
would point at nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from pitstop.models import Bay, Catalog, ServiceType


class ConsoleServiceType(ServiceType):
    """A service as the form may write it: strict about what a person can mistype."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=80)
    price_min: float = Field(ge=0)
    price_max: float = Field(ge=0)
    bays: list[str] = Field(min_length=1, description="bays equipped for this service")

    @field_validator("duration_minutes")
    @classmethod
    def _fits_the_slots(cls, value: int, info: ValidationInfo) -> int:
        slot = int((info.context or {}).get("slot_minutes", 30))
        if value <= 0 or value % slot:
            raise ValueError(f"must be a positive multiple of the shop's {slot}-minute slots")
        return value

    @field_validator("price_max")
    @classmethod
    def _price_range(cls, value: float, info: ValidationInfo) -> float:
        if "price_min" in info.data and info.data["price_min"] > value:
            raise ValueError(f"is below price_min {info.data['price_min']}")
        return value


class ConsoleBay(Bay):
    model_config = ConfigDict(extra="forbid")

    bay: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=80)


class ConsoleCatalog(BaseModel):
    """The whole catalogue as the form saves it."""

    model_config = ConfigDict(extra="forbid")

    services: list[ConsoleServiceType]
    bays: list[ConsoleBay]


class CatalogChange(BaseModel):
    """A save from the catalogue form: both lists whole, and the version the form showed."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="the version the editor read (optimistic locking)")
    services: list[dict[str, Any]]
    bays: list[dict[str, Any]]


def validated_catalog(change: CatalogChange, slot_minutes: int) -> Catalog:
    """The catalogue `change` asks for, or a pydantic `ValidationError` naming each bad field."""
    checked = ConsoleCatalog.model_validate(
        {"services": change.services, "bays": change.bays}, context={"slot_minutes": slot_minutes}
    )
    if problems := list(_across_entries(checked)):
        raise ValidationError.from_exception_data("Catalog", problems)
    return Catalog.model_validate(checked.model_dump(mode="json"))


def _across_entries(catalog: ConsoleCatalog) -> Iterator[InitErrorDetails]:
    """What no single entry can know, each at the field the form shows it beside: a service
    code or bay id used twice, a service naming a bay that is not in the list."""
    for kind, field, ids in (
        ("services", "code", [s.code for s in catalog.services]),
        ("bays", "bay", [b.bay for b in catalog.bays]),
    ):
        counts = Counter(ids)
        for n, value in enumerate(ids):
            if counts[value] > 1:
                yield _problem((kind, n, field), value, f"duplicate {field} {value!r}")
    known = {b.bay for b in catalog.bays}
    for n, service in enumerate(catalog.services):
        if unknown := sorted(set(service.bays) - known):
            yield _problem(("services", n, "bays"), service.bays, f"unknown bay(s) {unknown}")


def _problem(loc: tuple[str | int, ...], value: object, message: str) -> InitErrorDetails:
    error = PydanticCustomError("catalog", "{message}", {"message": message})
    return {"type": error, "loc": loc, "input": value}


def removed_bays(before: Catalog, after: Catalog) -> set[str]:
    return {b.bay for b in before.bays} - {b.bay for b in after.bays}
