"""Tool calls: run each through the tools API, concurrently within a response, with a timeout.

The model may call several tools in one response. Each result goes back as a
`function_call_output` item as soon as it is ready; once the response is done *and* all of its
calls have answered, the session gets one callback (to send exactly one `response.create`, or to
act on a handoff / end_call result). A failure or timeout becomes an error result the model can
talk about, so the caller never waits on silence.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from media_bridge.observability import logger
from media_bridge.tools_client import ToolError, ToolsClient

ERROR_MESSAGES = {
    "tool_timeout": "That system is slow to answer right now. Apologise, and offer to try again "
    "or to connect the caller to a member of the team.",
    "invalid_arguments": "The request was not valid. Check the details with the caller and try "
    "again.",
    "unknown_tool": "That action is not available.",
}
DEFAULT_ERROR = (
    "That system is not available right now. Apologise, and offer to connect the caller "
    "to a member of the team."
)


@dataclass
class ToolOutcome:
    call_id: str
    name: str
    arguments: dict
    result: dict
    latency_ms: float


@dataclass
class _Batch:
    tasks: set[asyncio.Task] = field(default_factory=set)
    outcomes: list[ToolOutcome] = field(default_factory=list)
    response_done: bool = False
    finished: bool = False


class ToolRunner:
    def __init__(
        self,
        client: ToolsClient,
        *,
        timeout: float,
        context: Callable[[], dict],
        send_output: Callable[[ToolOutcome], Awaitable[None]],
        batch_done: Callable[[str, list[ToolOutcome]], Awaitable[None]],
        on_outcome: Callable[[ToolOutcome], None] = lambda outcome: None,
    ):
        self._client = client
        self._timeout = timeout
        self._context = context
        self._send_output = send_output
        self._batch_done = batch_done
        self._on_outcome = on_outcome
        self._batches: dict[str, _Batch] = {}

    @property
    def busy(self) -> bool:
        return any(not b.finished for b in self._batches.values())

    def start(self, response_id: str, call_id: str, name: str, arguments: str) -> None:
        """A `response.function_call_arguments.done` arrived: run it now, in its own task."""
        batch = self._batches.setdefault(response_id, _Batch())
        task = asyncio.create_task(
            self._run(response_id, call_id, name, arguments), name=f"tool-{name}"
        )
        batch.tasks.add(task)

    async def response_done(self, response_id: str) -> None:
        """The response finished; if it called tools, report once they have all answered."""
        batch = self._batches.get(response_id)
        if batch is None:
            return
        batch.response_done = True
        await self._maybe_finish(response_id, batch)

    def cancel_all(self) -> None:
        for batch in self._batches.values():
            batch.finished = True
            for task in batch.tasks:
                task.cancel()
        self._batches.clear()

    async def _run(self, response_id: str, call_id: str, name: str, raw_arguments: str) -> None:
        started = time.perf_counter()
        try:
            arguments = json.loads(raw_arguments or "{}")
            if not isinstance(arguments, dict):
                raise TypeError("arguments are not an object")
        except (ValueError, TypeError):
            arguments = {}
            result = {
                "ok": False,
                "error": "invalid_arguments",
                "message": "The arguments were not valid JSON. Try again.",
            }
        else:
            result = await self._call(name, arguments)
        outcome = ToolOutcome(
            call_id, name, arguments, result, (time.perf_counter() - started) * 1000
        )
        try:
            self._on_outcome(outcome)
            await self._send_output(outcome)
        except Exception:
            logger.exception("could not deliver a tool result", extra={"tool": name})
        batch = self._batches.get(response_id)
        if batch is not None:
            batch.outcomes.append(outcome)
            batch.tasks.discard(asyncio.current_task())
            await self._maybe_finish(response_id, batch)

    async def _call(self, name: str, arguments: dict) -> dict:
        try:
            return await asyncio.wait_for(
                self._client.call(name, arguments, self._context()), self._timeout
            )
        except TimeoutError:
            code, detail = "tool_timeout", f"no answer in {self._timeout:g} s"
        except ToolError as error:
            code, detail = error.code, error.message
        except Exception as error:  # noqa: BLE001 - any failure becomes an error result
            code, detail = "tool_failed", type(error).__name__
        logger.warning(
            "tool call failed", extra={"tool": name, "error": code, "detail": detail[:200]}
        )
        return {"ok": False, "error": code, "message": ERROR_MESSAGES.get(code, DEFAULT_ERROR)}

    async def _maybe_finish(self, response_id: str, batch: _Batch) -> None:
        if batch.finished or not batch.response_done or batch.tasks:
            return
        batch.finished = True
        self._batches.pop(response_id, None)
        await self._batch_done(response_id, batch.outcomes)
