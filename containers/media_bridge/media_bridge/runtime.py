"""What every call in the process shares: settings, clients, metrics, the tool definitions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from media_bridge.config import BridgeOptions
from media_bridge.observability import BridgeMetrics, logger
from media_bridge.tools_client import ToolsClient
from pitstop.config import Settings
from pitstop.telephony import Telephony

if TYPE_CHECKING:
    from pitstop.dal import Crm


@dataclass
class Runtime:
    settings: Settings
    options: BridgeOptions
    tools: ToolsClient
    telephony: Telephony
    crm: Crm | None  # None runs calls without a CRM (benchmarks)
    api_key: str | None
    stream_key: Callable[[], str]
    metrics: BridgeMetrics
    _definitions: list[dict[str, Any]] | None = field(default=None, repr=False)
    _definitions_at: float = field(default=0.0, repr=False)
    _definitions_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    _key: str | None = field(default=None, repr=False)
    _key_at: float = field(default=0.0, repr=False)

    async def token_key(self) -> str:
        """The stream-token key, re-read once a minute (a rotation applies without a restart).

        Cached here so that checking a new call's token never queues behind slow DynamoDB
        work in the thread pool.
        """
        if self._key is None or time.monotonic() - self._key_at > 60:
            self._key = await asyncio.to_thread(self.stream_key)
            self._key_at = time.monotonic()
        return self._key

    async def tool_definitions(self) -> list[dict[str, Any]]:
        """The tools API's definitions, cached for a few minutes (they change only on deploy)."""
        cached = self._fresh_definitions()
        if cached is not None:
            return cached
        async with self._definitions_lock:
            cached = self._fresh_definitions()  # another call may have loaded them meanwhile
            if cached is not None:
                return cached
            try:
                definitions = await asyncio.wait_for(
                    self.tools.definitions(), self.options.tool_timeout
                )
            except Exception as error:  # noqa: BLE001 - serve the call with what we have
                logger.error("could not load tool definitions", extra={"error": repr(error)})
                return self._definitions or []
            self._definitions, self._definitions_at = definitions, time.monotonic()
            return definitions

    def _fresh_definitions(self) -> list[dict[str, Any]] | None:
        age = time.monotonic() - self._definitions_at
        return self._definitions if age < self.options.tools_cache_seconds else None
