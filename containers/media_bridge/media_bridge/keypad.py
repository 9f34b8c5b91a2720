"""Keypad presses collected into what the caller meant: a number, a mileage, or "a person".

A phone number pressed one key at a time is ten inputs to the model, each interrupting its
answer to the one before; so digits are collected until `#` or a short pause and reach the
model as one entry ("the caller entered 4 5 0 0 0"). A lone `0` is the caller asking for a
person when the shop enables that (`AgentSettings.zero_for_person`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

END = "#"


def entry_text(digits: str) -> str:
    """How a keypad entry reaches the model: digits spaced, so it reads them one by one."""
    return f"[The caller entered {' '.join(digits)} on the keypad]"


class Keypad:
    """One call's keypad: presses in, one entry (or a request for a person) out."""

    def __init__(
        self,
        *,
        pause: float,
        zero_for_person: bool,
        on_entry: Callable[[str], Awaitable[None]],
        on_person: Callable[[], Awaitable[None]],
    ):
        self._pause = pause
        self._zero_for_person = zero_for_person
        self._on_entry = on_entry
        self._on_person = on_person
        self._digits: list[str] = []
        self._timer: asyncio.Task[None] | None = None

    @property
    def collecting(self) -> bool:
        """Some digits are in and the entry has not ended yet."""
        return bool(self._digits)

    async def press(self, key: str) -> None:
        """One key: `#` ends the entry now; anything else waits for more, up to the pause."""
        self._cancel_timer()
        if key == END:
            await self._finish()
            return
        self._digits.append(key)
        self._timer = asyncio.create_task(self._after_pause(), name="keypad-pause")

    def close(self) -> None:
        self._cancel_timer()

    async def _after_pause(self) -> None:
        await asyncio.sleep(self._pause)  # the pause that ends an entry (a timer, not a wait)
        self._timer = None
        await self._finish()

    async def _finish(self) -> None:
        digits, self._digits = "".join(self._digits), []
        if not digits:
            return
        if digits == "0" and self._zero_for_person:
            await self._on_person()
        else:
            await self._on_entry(digits)

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
