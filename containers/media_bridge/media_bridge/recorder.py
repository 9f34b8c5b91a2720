"""The call record in DynamoDB, written without ever making audio wait.

boto3 is synchronous, so each call has one writer task that takes writes off a queue and runs
them in a worker thread, in order (turn and tool sequence numbers stay in order). The audio
paths only ever `put_nowait` onto the queue.

The webhook wrote the record; the bridge only adds to it. Turns and tool calls are conditional
puts that never overwrite: a place already taken (by an earlier stream of the same call, one
resumed after an unanswered handoff) moves the turn to the next free place. The stream's last
write is conditional on its own token, once: a finished stream's outcome, usage and cost stay.
That last write comes after the call's recording is stored (in the same writer thread, after the
call: the upload never holds audio up) and links it; a recording that could not be stored leaves
the link out, never the rest of the write. It also carries the call's latency figures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from media_bridge.call_state import Usage
from media_bridge.observability import logger
from media_bridge.recording import NOT_RECORDING, Recording
from pitstop.models import CallLatency, CallOutcome, ToolCallRecord, TranscriptTurn

if TYPE_CHECKING:
    from pitstop.dal.calls import CallRepository

CLOSE_WAIT = 10.0  # a stuck DynamoDB write must not keep a finished call open for ever
# A recording is stored before the last write: 57.6 MB for 30 minutes, seconds to S3.
RECORDING_WAIT = 60.0


def _dynamo(value: dict[str, Any]) -> Any:
    """Floats become Decimals (DynamoDB has no float type)."""
    return json.loads(json.dumps(value), parse_float=Decimal)


class CallRecorder:
    """Queues the call's record writes and performs them in order in a worker thread."""

    def __init__(self, calls: CallRepository | None, call_sid: str, token_id: str):
        self._calls = calls  # None: nothing is recorded
        self._call_sid = call_sid
        self._token_id = token_id  # the stream grant this stream consumed
        self._queue: asyncio.Queue[tuple[Callable[..., object], tuple[Any, ...]] | None] = (
            asyncio.Queue()
        )
        # `next()` of a count is atomic: the event loop reserves, the writer thread skips ahead.
        self._turns = itertools.count(1)
        self._tools = itertools.count(1)
        self.tool_latencies_ms: list[float] = []  # every tool call's round trip, for the record
        self._close_wait = CLOSE_WAIT
        self._task = asyncio.create_task(self._writer(), name=f"recorder-{call_sid}")

    def reserve_turn(self) -> int:
        """A place in the transcript for a turn whose text comes later (see transcript.py)."""
        return next(self._turns)

    def turn(
        self,
        role: str,
        text: str,
        *,
        seq: int | None = None,
        at: datetime | None = None,
        interrupted: bool = False,
    ) -> None:
        """Write a turn, at its reserved place `seq` if it has one, else after the others."""
        turn = TranscriptTurn(
            role=role, text=text, at=at or datetime.now(UTC), interrupted=interrupted
        )
        self._add(turn, seq, self._turns)

    def tool_call(
        self, name: str, arguments: dict[str, Any], result: dict[str, Any], latency_ms: float
    ) -> None:
        self.tool_latencies_ms.append(latency_ms)
        summary = json.dumps(result, default=str)[:500]
        record = ToolCallRecord(
            name=name,
            arguments=arguments,
            result_summary=summary,
            ok=bool(result.get("ok", False)),
            latency_ms=round(latency_ms, 1),
            at=datetime.now(UTC),
        )
        self._add(record, None, self._tools)

    def finish(
        self,
        *,
        outcome: CallOutcome,
        usage: Usage,
        handoff_reason: str | None,
        customer_id: str | None,
        realtime_model: str | None,
        on_purpose: bool,
        latency: CallLatency,
        recording: Recording,
    ) -> None:
        """The stream's last write. `on_purpose`: the bridge hung up or handed off, so Twilio's
        `<Connect action>` must not rescue the call. A handed-off call is not over (the shop may
        not answer, and the caller may come back to the agent): its `ended_at` is Twilio's.
        The `recording` is stored first, and linked if that worked."""
        fields: dict[str, Any] = {
            "outcome": outcome,
            "usage": usage.as_dict(),
            "ended_by_bridge": on_purpose,
            "latency": latency.model_dump(mode="json", exclude_none=True),
        }
        if outcome is not CallOutcome.HANDED_OFF:
            fields["ended_at"] = datetime.now(UTC).isoformat()
        if handoff_reason:
            fields["handoff_reason"] = handoff_reason
        if customer_id:
            fields["customer_id"] = customer_id
        if realtime_model:
            fields["realtime_model"] = realtime_model
        if self._calls is not None:
            if recording is not NOT_RECORDING:
                self._close_wait += RECORDING_WAIT
            self._put(self._finish, _dynamo(fields), recording)

    async def close(self) -> None:
        """Wait for queued writes (at most `CLOSE_WAIT` seconds, more to store a recording),
        then stop the writer."""
        self._queue.put_nowait(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self._close_wait)
        except TimeoutError:
            logger.warning("call record writes did not finish in time")
            self._task.cancel()

    def _put(self, fn: Callable[..., object], *args: Any) -> None:
        self._queue.put_nowait((fn, args))

    def _add(
        self, entry: TranscriptTurn | ToolCallRecord, seq: int | None, places: itertools.count[int]
    ) -> None:
        """Queue `entry` at `seq` (or the next place); a taken place moves it to the next one."""
        calls = self._calls
        if calls is None:
            return
        add = calls.add_turn if isinstance(entry, TranscriptTurn) else calls.add_tool_call
        first = seq or next(places)

        def add_at_a_free_place() -> None:
            place = first
            while not add(self._call_sid, place, entry):  # type: ignore[arg-type]
                place = next(places)

        self._put(add_at_a_free_place)

    def _finish(self, fields: dict[str, Any], recording: Recording) -> None:
        key = recording.save()
        if key is not None:
            fields["recording_key"] = key
        if self._calls is not None and not self._calls.finish_stream(
            self._call_sid, self._token_id, fields
        ):
            logger.warning("call record already finished by another stream; left as it was")

    async def _writer(self) -> None:
        while (job := await self._queue.get()) is not None:
            fn, args = job
            try:
                await asyncio.to_thread(fn, *args)
            except Exception:
                logger.exception("call record write failed", extra={"write": fn.__name__})
