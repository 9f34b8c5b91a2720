"""What every role of one live call shares.

The process runtime, the call's state, its Twilio socket and record, and its lifetime: the
`ended` event, and the tasks that die with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from media_bridge.call_state import CallState
from media_bridge.observability import BadFrames
from media_bridge.recorder import CallRecorder
from media_bridge.runtime import Runtime
from media_bridge.twilio_side import TwilioLeg


@dataclass(frozen=True, slots=True)
class CallParts:
    runtime: Runtime
    state: CallState
    twilio: TwilioLeg
    recorder: CallRecorder
    ended: asyncio.Event
    bad_frame: BadFrames = field(default_factory=BadFrames)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def call_sid(self) -> str:
        return self.state.context.call_sid

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run `coro` for this call; the call's cleanup cancels whatever is still running."""
        task = asyncio.create_task(coro, name=f"{name}-{self.call_sid}")
        self.tasks.append(task)
        return task
