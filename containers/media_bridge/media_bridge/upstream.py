"""The call's Realtime link: opened and confirmed within a budget, caller audio into it, replaced.

Each time a link is needed (call start, after a drop) the bridge has `connect_budget` seconds
(about 3) to open it *and* get the session confirmed, across retries: the caller is listening
to silence meanwhile, and after the budget a person is better than more waiting. A 429 is
honoured (its `Retry-After`) when it fits in the budget. A replaced link gets the same session
configuration and the conversation so far. With a second model in the settings, the budget is
shared between them: a model that cannot be opened, or keeps failing responses, gives way to
the next before any handoff (`ModelFailovers`).
"""

from __future__ import annotations

import asyncio
import time

from media_bridge import realtime_side as rt
from media_bridge.observability import logger
from media_bridge.parts import CallParts
from media_bridge.realtime_side import APPEND_HEAD, APPEND_TAIL
from media_bridge.session_setup import Setup, configure
from media_bridge.ws import ConnectionClosed, HandshakeRefused

RECONNECTED = (
    "The phone line to you dropped for a moment and is back. Briefly apologise for the "
    "interruption and continue exactly where the conversation left off."
)
_RESTORED_TURNS = 60


def _retry_after(error: HandshakeRefused) -> float | None:
    """Seconds a 429 asks us to wait (None when it is not a 429)."""
    if error.status != 429:
        return None
    try:
        return max(float(error.retry_after or "1"), 0.0)
    except ValueError:
        return 1.0


async def open_session(
    parts: CallParts, url: str, session_event: rt.Event, budget: float
) -> rt.RealtimeLink | None:
    """A link whose session is confirmed within `budget` seconds; None: give up."""
    options = parts.runtime.options
    deadline = time.monotonic() + budget
    delay = options.reconnect_backoff
    for attempt in range(1, options.reconnect_tries + 1):
        remaining = deadline - time.monotonic()
        if parts.ended.is_set() or remaining <= 0:
            return None
        wait = delay
        link = None
        try:
            link = await _open(parts, url, min(options.realtime_open_timeout, remaining))
            remaining = deadline - time.monotonic()
            setup = await configure(link, session_event, min(options.session_timeout, remaining))
        except HandshakeRefused as error:
            retry_after = _retry_after(error)
            _failed(parts, attempt, error)
            if retry_after is not None:
                parts.runtime.metrics.count("RateLimited")
                logger.warning("realtime rate limited", extra={"retry_after": retry_after})
                wait = retry_after
            setup = Setup.SILENT
        except Exception as error:  # noqa: BLE001 - any failure to open is one failed attempt
            _failed(parts, attempt, error)
            setup = Setup.SILENT
        if setup is Setup.CONFIRMED and link is not None:
            return link
        if link is not None:
            link.abort()
        if setup is Setup.REJECTED or time.monotonic() + wait >= deadline:
            return None
        await asyncio.sleep(wait)  # backoff between attempts, inside the budget
        delay *= 2
    return None


async def open_any(
    parts: CallParts, urls: list[str], session_event: rt.Event
) -> tuple[rt.RealtimeLink, str] | None:
    """The first of `urls` (one per model, in the shop's order) whose session is confirmed;
    None when none could be opened. The models share the one connect budget (the caller
    hears silence meanwhile), each its even share of it."""
    share = parts.runtime.options.connect_budget / len(urls)
    for index, url in enumerate(urls):
        if index:
            _failing_over(parts, "could not open the model")
        link = await open_session(parts, url, session_event, share)
        if link is not None:
            return link, url
    return None


def _failing_over(parts: CallParts, why: str) -> None:
    parts.runtime.metrics.count("ModelFailovers")
    logger.warning("failing over to the fallback realtime model", extra={"why": why})


async def _open(parts: CallParts, url: str, within: float) -> rt.RealtimeLink:
    runtime = parts.runtime
    return await rt.RealtimeLink.open(
        url, runtime.api_key, max_size=runtime.options.max_realtime_frame, open_timeout=within
    )


def _failed(parts: CallParts, attempt: int, error: Exception) -> None:
    parts.runtime.metrics.count("RealtimeErrors")
    logger.warning(
        "realtime connect failed", extra={"attempt": attempt, "error": repr(error)[:200]}
    )


class Upstream:
    """The current Realtime link of one call, and the session event that configures it."""

    __slots__ = (
        "_caller",
        "_parts",
        "_session_event",
        "_state",
        "_urls",
        "_wire",
        "drops",
        "earlier",
        "link",
    )

    def __init__(
        self, parts: CallParts, link: rt.RealtimeLink, urls: list[str], session_event: rt.Event
    ):
        """`urls`: one per model, the one `link` is open on first (the fallbacks after it)."""
        self._parts = parts
        self._state = parts.state
        self._caller = parts.twilio.ws  # the socket caller audio comes from (back-pressure)
        self._urls = urls
        self._session_event = session_event
        self.link, self._wire = link, link.ws.wire  # the link's per-frame writes, for `append`
        parts.state.realtime_model = rt.model_of(urls[0])
        self.drops = 0  # links lost during this call
        self.earlier: list[tuple[str, str]] = []  # an earlier stream's conversation (resumed)

    def append(self, payload: bytes) -> None:
        """Caller audio (checked base64) as `input_audio_buffer.append`, spliced, not dumped;
        nothing while the session is not relaying (a link being replaced, the call ending).

        Runs in the Twilio socket's frame callback: one write, no await. A Realtime socket over
        its high-water mark stops the Twilio socket's reading until it drains."""
        state = self._state
        if state.relaying and not self._wire.write(
            APPEND_HEAD + payload + APPEND_TAIL, self._caller
        ):
            state.relaying = False  # the Realtime reader reconnects

    async def send(self, event: rt.Event) -> None:
        await self.link.send(event)

    @property
    def can_fail_over(self) -> bool:
        return len(self._urls) > 1

    def fail_over(self, why: str) -> None:
        """The current model keeps failing: drop its link; the reader reconnects to the next
        model with the conversation so far."""
        _failing_over(self._parts, why)
        self._urls = self._urls[1:]
        self.link.abort()

    def kill(self) -> None:
        """The link is open but dead: drop it, and the reader reconnects."""
        self.link.abort()

    async def replace(self, history: list[tuple[str, str]]) -> bool:
        """Replace the dropped link and restore the conversation; False means hand off instead.

        A link that keeps dropping is not worth more attempts than one drop's worth. The
        caller's next response is asked for by the conversation (through its response gate).
        """
        self.drops += 1
        self._parts.runtime.metrics.count("Reconnects")
        logger.warning("realtime link dropped; reconnecting", extra={"drops": self.drops})
        self.link.abort()
        if self.drops > self._parts.runtime.options.reconnect_tries:
            return False
        opened = await open_any(self._parts, self._urls, self._session_event)
        if opened is None:
            return False
        link, url = opened
        self._urls = [url] + [u for u in self._urls if u != url]  # stay on the one that works
        self.link, self._wire = link, link.ws.wire
        self._parts.state.realtime_model = rt.model_of(url)
        try:
            await self.restore(history)
            await link.send(rt.message("system", RECONNECTED))
        except ConnectionClosed:
            return False
        self._parts.state.relaying = True
        return True

    async def restore(self, history: list[tuple[str, str]]) -> None:
        """Tell the model the conversation so far (an earlier stream's first); raises
        `ConnectionClosed`."""
        for role, text in (self.earlier + history)[-_RESTORED_TURNS:]:
            await self.link.send(rt.message(role, text))

    async def close(self) -> None:
        await self.link.close()
