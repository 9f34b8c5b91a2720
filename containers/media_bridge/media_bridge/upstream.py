"""The call's Realtime link: opening it with retries, caller audio into it, replacing it.

A dropped link is replaced by a new one that gets the same session configuration and the
conversation so far. Short timeouts throughout: the caller is waiting in silence.
"""

from __future__ import annotations

import asyncio

from websockets.exceptions import ConnectionClosed

from media_bridge import realtime_side as rt
from media_bridge.observability import logger
from media_bridge.parts import CallParts
from media_bridge.wsfast import write_now

RECONNECTED = (
    "The phone line to you dropped for a moment and is back. Briefly apologise for the "
    "interruption and continue exactly where the conversation left off."
)
_RESTORED_TURNS = 60
_RECONNECT_OPEN_TIMEOUT = 2.0


async def connect(parts: CallParts, url: str, open_timeout: float) -> rt.RealtimeLink | None:
    """Open a Realtime link, retrying with backoff (at most `reconnect_tries` attempts)."""
    runtime = parts.runtime
    options = runtime.options
    delay = options.reconnect_backoff
    for attempt in range(1, options.reconnect_tries + 1):
        if parts.ended.is_set():
            return None
        try:
            return await rt.RealtimeLink.open(
                url,
                runtime.api_key,
                max_size=options.max_realtime_frame,
                open_timeout=open_timeout,
            )
        except Exception as error:  # noqa: BLE001 - any failure to open is one failed attempt
            runtime.metrics.count("RealtimeErrors")
            logger.warning(
                "realtime connect failed", extra={"attempt": attempt, "error": repr(error)[:200]}
            )
        if attempt < options.reconnect_tries:
            await asyncio.sleep(delay)
            delay *= 2
    return None


class Upstream:
    """The current Realtime link of one call, and the session event that configures it."""

    def __init__(self, parts: CallParts, link: rt.RealtimeLink, url: str, session_event: rt.Event):
        self._parts = parts
        self._url = url
        self._session_event = session_event
        self.link = link
        self.drops = 0  # links lost during this call

    async def start(self) -> None:
        """Configure the session and let the agent speak first; caller audio flows from now on."""
        await self.link.send(self._session_event)
        await self.link.send(rt.response_create())
        self._parts.state.relaying = True

    async def append(self, payload: str) -> None:
        """Caller audio (checked base64) as `input_audio_buffer.append`, spliced, not dumped."""
        ws = self.link.ws
        text = rt.append_audio(payload)
        if not write_now(ws, text):
            try:
                await ws.send(text)
            except ConnectionClosed:
                self._parts.state.relaying = False  # the Realtime reader reconnects

    async def send(self, event: rt.Event) -> None:
        await self.link.send(event)

    async def replace(self, history: list[tuple[str, str]]) -> bool:
        """Replace the dropped link and restore the conversation; False means hand off instead.

        A link that keeps dropping is not worth more attempts than one drop's worth.
        """
        self.drops += 1
        self._parts.runtime.metrics.count("Reconnects")
        logger.warning("realtime link dropped; reconnecting", extra={"drops": self.drops})
        await self.link.close()
        options = self._parts.runtime.options
        if self.drops > options.reconnect_tries:
            return False
        open_timeout = min(options.realtime_open_timeout, _RECONNECT_OPEN_TIMEOUT)
        link = await connect(self._parts, self._url, open_timeout)
        if link is None:
            return False
        self.link = link
        try:
            await link.send(self._session_event)
            for role, text in history[-_RESTORED_TURNS:]:
                await link.send(rt.message(role, text))
            await link.send(rt.message("system", RECONNECTED))
            await link.send(rt.response_create())
        except ConnectionClosed:
            return False
        self._parts.state.relaying = True
        return True

    async def close(self) -> None:
        await self.link.close()
