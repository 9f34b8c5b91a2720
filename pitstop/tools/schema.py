"""Argument/result base models and the OpenAI function definitions generated from them.

The definition the model sees is derived from the same pydantic model that validates what the
model sends back, so the two can never disagree. The schema is flattened (no `$ref`, no titles,
optional fields as their plain type) because a realtime model follows a small, literal schema
more reliably than a faithful-but-nested one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict

# The years a booking can name. Wider than the booking horizon on purpose (that refusal is a
# sentence for the caller), narrow enough that shifting to the shop's zone or adding a service's
# duration can never leave `datetime`'s range (year 1 and 9999 overflow; that was an HTTP 500).
CALENDAR_YEARS = range(1970, 2200)


def _within_calendar(value: datetime) -> datetime:
    if value.year not in CALENDAR_YEARS:
        raise ValueError(
            f"the year must be between {CALENDAR_YEARS.start} and {CALENDAR_YEARS.stop - 1}"
        )
    return value


CalendarDatetime = Annotated[datetime, AfterValidator(_within_calendar)]


class Arguments(BaseModel):
    """Base of every tool's arguments: unknown fields are an error (422), not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Result(BaseModel):
    """Base of every tool's successful result."""

    ok: Literal[True] = True


class Refusal(BaseModel):
    """A domain refusal: `error` is for code, `message` is a sentence the agent can say as is.

    A refusal that carries more (alternatives, an id) is a subclass declaring those fields.
    """

    ok: Literal[False] = False
    error: str
    message: str


def function_definition(name: str, description: str, arguments: type[BaseModel]) -> dict[str, Any]:
    """`{"type": "function", "name", "description", "parameters"}`, a `session.tools` entry."""
    schema = arguments.model_json_schema()
    parameters = _simplify(schema, schema.get("$defs", {}))
    parameters.setdefault("properties", {})
    parameters["additionalProperties"] = False
    return {"type": "function", "name": name, "description": description, "parameters": parameters}


def _simplify(node: Any, defs: dict[str, Any]) -> Any:
    """Inline `$ref`s, drop titles/defaults noise, collapse `X | None` to `X`."""
    if isinstance(node, list):
        return [_simplify(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _simplify(merged, defs)
    options = node.get("anyOf")
    if options and any(o == {"type": "null"} for o in options):
        rest = [o for o in options if o != {"type": "null"}]
        if len(rest) == 1:
            extra = {k: v for k, v in node.items() if k != "anyOf"}
            return _simplify({**rest[0], **extra}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("title", "$defs") or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _simplify(v, defs) for name, v in value.items()}
        else:
            out[key] = _simplify(value, defs)
    if out.get("type") == "object" and "properties" in out:
        out["additionalProperties"] = False
    return out
