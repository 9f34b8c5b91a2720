"""One active response at a time: every request for a response goes through this gate.

The Realtime server keeps a response active (a cancelled one too) until its `response.done`, and
answers a `response.create` sent before that with `conversation_already_has_active_response`.
So a request waits here until the server has no response in progress; requests that wait
together become one (the model answers the whole conversation so far), carrying the latest
instructions; a create the server rejected goes back in line, never dropped.

A create the server neither starts (`response.created`) nor rejects within `start_timeout`
means the link is open but dead: `on_stall` is called, and the reader reconnects. When
`rate_limits.updated` says nothing is left, requests wait for the reset (bounded: the caller
is listening to silence meanwhile).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from media_bridge import realtime_side as rt
from media_bridge.observability import logger

_MAX_HOLD = 3.0  # seconds a rate limit may delay a response: past that, silence is worse


@dataclass(frozen=True, slots=True)
class ResponseRequest:
    instructions: str | None = None  # None: the session's own


def _merge(older: ResponseRequest | None, newer: ResponseRequest) -> ResponseRequest:
    """One response answers both: the newer instructions win, or the older if it has none."""
    if older is None or newer.instructions is not None:
        return newer
    return older


class ResponseGate:
    """Sends `response.create` only while the server has no response in progress."""

    def __init__(
        self,
        send: Callable[[rt.Event], Awaitable[None]],
        *,
        start_timeout: float,
        on_stall: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ):
        self._send = send
        self._start_timeout = start_timeout
        self._on_stall = on_stall
        self._clock = clock
        self._pending: ResponseRequest | None = None
        self._in_flight: dict[str, ResponseRequest] = {}  # sent; until the next response.done
        self._active = False  # response.created seen, its response.done not yet
        self._current: ResponseRequest | None = None  # what the active response answers
        self.last_done: ResponseRequest | None = None  # what the last finished response answered
        self._hold_until = 0.0
        self._stall: asyncio.TimerHandle | None = None
        self._later: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """A response is in progress or asked for: a goodbye now would have to wait."""
        return self._active or bool(self._in_flight) or self._pending is not None

    @property
    def active(self) -> bool:
        return self._active

    async def request(self, instructions: str | None = None) -> None:
        """Ask for a response: now if the server is free, else once its response is done."""
        self._pending = _merge(self._pending, ResponseRequest(instructions))
        await self._flush()

    async def created(self) -> None:
        """`response.created`: the server started a response (ours, or server VAD's)."""
        self._cancel_stall()
        self._active = True
        self._current = next(iter(self._in_flight.values()), None)

    async def done(self) -> None:
        """`response.done`: the server is free again; send what waited."""
        self._active = False
        self.last_done, self._current = self._current, None
        self._in_flight.clear()
        await self._flush()

    async def rejected(self, event_id: str | None, code: str | None) -> bool:
        """An `error` caused by one of our creates; True if it was one (and it is handled)."""
        request = self._in_flight.pop(event_id or "", None)
        if request is None:
            return False
        self._cancel_stall()
        if code == "conversation_already_has_active_response":
            self._active = True  # the server says so: wait for that response's done
            self._pending = _merge(request, self._pending) if self._pending else request
        else:
            logger.warning("response.create refused; not retried", extra={"error_code": code})
        await self._flush()
        return True

    def hold(self, seconds: float) -> None:
        """A rate limit: send nothing for `seconds` (at most `_MAX_HOLD`)."""
        self._hold_until = max(self._hold_until, self._clock() + min(seconds, _MAX_HOLD))

    def reset(self) -> None:
        """A new link: nothing is in progress there; what was asked for is asked again."""
        self._cancel_stall()
        for request in self._in_flight.values():
            self._pending = _merge(request, self._pending) if self._pending else request
        self._in_flight.clear()
        self._active = False
        self._current = None

    def close(self) -> None:
        self._cancel_stall()
        if self._later is not None:
            self._later.cancel()

    async def _flush(self) -> None:
        if self._active or self._in_flight or self._pending is None:
            return
        wait = self._hold_until - self._clock()
        if wait > 0:
            if self._later is None or self._later.done():
                self._later = asyncio.create_task(self._flush_after(wait))
            return
        request, self._pending = self._pending, None
        event_id = "evt_" + uuid.uuid4().hex[:20]
        self._in_flight[event_id] = request
        self._stall = asyncio.get_running_loop().call_later(self._start_timeout, self._stalled)
        await self._send(rt.response_create(request.instructions, event_id=event_id))

    async def _flush_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)  # a deadline (the rate limit's reset), not a wait on work
        await self._flush()

    def _stalled(self) -> None:
        self._stall = None
        logger.warning("no response.created after response.create: the link is dead")
        self._on_stall()

    def _cancel_stall(self) -> None:
        if self._stall is not None:
            self._stall.cancel()
            self._stall = None
