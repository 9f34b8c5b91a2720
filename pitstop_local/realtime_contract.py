"""The Realtime GA protocol as the `openai` package defines it: our contract for both sides.

The offline engine checks every client event it receives against these models, and the tests
check everything the bridge sends and everything the engine emits. A stand-in that accepted what
OpenAI would reject would let a broken bridge pass.

Why the extra walk: the SDK's models are built to *read* what the server sends, so they accept
fields they do not name (pydantic `extra="allow"`), while the GA server refuses a client event
with a field it does not know (`unknown_parameter`, `param` = the field's dotted path). A client
event is therefore validated and then walked, model by model, for fields the models kept as
extras; the first one found is reported with the path the server would name.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import BaseModel, TypeAdapter, ValidationError

__all__ = [
    "ProtocolViolation",
    "UnknownParameter",
    "unknown_parameters",
    "validate_client_event",
    "validate_server_event",
]


class ProtocolViolation(ValueError):
    """An event that the Realtime API's own models reject."""


class UnknownParameter(ProtocolViolation):
    """A client event with a field the API does not define (`param`: its dotted path)."""

    def __init__(self, param: str) -> None:
        super().__init__(f"Unknown parameter: '{param}'.")
        self.param = param


@lru_cache(maxsize=1)
def _client_adapter() -> TypeAdapter:
    return TypeAdapter(RealtimeClientEvent)


@lru_cache(maxsize=1)
def _server_adapter() -> TypeAdapter:
    return TypeAdapter(RealtimeServerEvent)


def validate_client_event(event: dict[str, Any], *, strict: bool = True) -> Any:
    """Parse a client-to-server event (what the bridge sends).

    Raises `ProtocolViolation` if the models reject it and, when `strict` (as the GA server is),
    `UnknownParameter` for the first field the models do not define."""
    parsed = _validate(_client_adapter(), event)
    if strict:
        for param in unknown_parameters(parsed):
            raise UnknownParameter(param)
    return parsed


def validate_server_event(event: dict[str, Any]) -> Any:
    """Parse a server-to-client event (what the engine sends); `ProtocolViolation` if invalid.

    Extra fields are allowed here: the server adds fields over time and clients must cope."""
    return _validate(_server_adapter(), event)


def unknown_parameters(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths (`session.audio.input.foo`, `session.tools[0].bar`) of every field that
    a validated SDK model kept as an extra, i.e. a field the API does not define."""
    if isinstance(value, BaseModel):
        for key in value.model_extra or {}:
            yield _join(path, key)
        for name, info in type(value).model_fields.items():
            yield from unknown_parameters(getattr(value, name), _join(path, info.alias or name))
    elif isinstance(value, list | tuple):
        for index, element in enumerate(value):
            yield from unknown_parameters(element, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, element in value.items():
            if isinstance(element, BaseModel | list | tuple):
                yield from unknown_parameters(element, _join(path, str(key)))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _validate(adapter: TypeAdapter, event: dict[str, Any]) -> Any:
    try:
        return adapter.validate_python(event)
    except ValidationError as error:
        raise ProtocolViolation(f"{event.get('type')!r}: {error}") from error
