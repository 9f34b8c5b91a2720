"""The Realtime GA protocol as the `openai` package defines it: our contract for both sides.

The offline engine checks every client event it receives against these models, and the tests
check everything the bridge sends and everything the engine emits. A stand-in that accepted what
OpenAI would reject would let a broken bridge pass.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from pydantic import TypeAdapter, ValidationError

__all__ = ["ProtocolViolation", "validate_client_event", "validate_server_event"]


class ProtocolViolation(ValueError):
    """An event that the Realtime API's own models reject."""


@lru_cache(maxsize=1)
def _client_adapter() -> TypeAdapter:
    return TypeAdapter(RealtimeClientEvent)


@lru_cache(maxsize=1)
def _server_adapter() -> TypeAdapter:
    return TypeAdapter(RealtimeServerEvent)


def validate_client_event(event: dict[str, Any]):
    """Parse a client-to-server event (what the bridge sends); `ProtocolViolation` if invalid."""
    return _validate(_client_adapter(), event)


def validate_server_event(event: dict[str, Any]):
    """Parse a server-to-client event (what the engine sends); `ProtocolViolation` if invalid."""
    return _validate(_server_adapter(), event)


def _validate(adapter: TypeAdapter, event: dict[str, Any]):
    try:
        return adapter.validate_python(event)
    except ValidationError as error:
        raise ProtocolViolation(f"{event.get('type')!r}: {error}") from error
