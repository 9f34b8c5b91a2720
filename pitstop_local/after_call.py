"""The after-call Lambda on the local stack: moto's DynamoDB Stream of the table, polled, fed to
the very handler AWS runs, in the event shape Lambda's stream poller builds.

What Lambda adds to each record of `GetRecords` is its `eventSourceARN`; the filter the event
source mapping applies in AWS (call records only) is the handler's own first check here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from pitstop.config import Settings
from pitstop_local.console import StreamTail
from pitstop_local.http import LocalLambdaContext

POLL_SECONDS = 0.25
#: How often a failed record is delivered again before it is dropped (Lambda's retry_attempts).
RETRIES = 2
_log = logging.getLogger(__name__)


def lambda_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """`GetRecords` records as Lambda's event source mapping delivers them."""
    return {"Records": [{**record, "eventSourceARN": stream_arn} for record in records]}


def deliver(records: list[dict[str, Any]], stream_arn: str) -> PartialItemFailureResponse:
    """Run the after-call handler on one batch; its partial-failure answer."""
    from functions.after_call.handler import lambda_handler

    context = LocalLambdaContext(function_name="after_call")
    return lambda_handler(lambda_event(records, stream_arn), context)


class LocalAfterCall:
    """Tails the table's stream from now on and runs the after-call handler on each batch.

    A batch whose records failed is delivered again, as Lambda retries (the conditional write
    keeps a retry from writing twice); `drain()` waits until what was written so far is done."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self._polls = 0  # polls started so far
        self._idle_poll = 0  # the last poll that found nothing new
        self._idle = asyncio.Condition()

    async def start(self) -> LocalAfterCall:
        tail = await asyncio.to_thread(StreamTail, self._settings)
        self._task = asyncio.create_task(self._run(tail), name="after-call")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Wait until a poll started after this call found nothing new: everything written
        before it has been processed (including what the processing itself wrote)."""
        after = self._polls
        async with self._idle:
            await self._idle.wait_for(lambda: self._idle_poll > after)

    async def _run(self, tail: StreamTail) -> None:
        pending: list[dict[str, Any]] = []
        attempts = 0
        while True:
            self._polls += 1
            poll = self._polls
            try:
                records = pending or await asyncio.to_thread(tail.poll)
                attempts = attempts + 1 if pending else 1
                pending = []
                if records:
                    answer = await asyncio.to_thread(deliver, records, tail.stream_arn)
                    failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                    if attempts <= RETRIES:
                        pending = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
                    elif failed:
                        _log.error(
                            "after-call records dropped after retries: %s", sorted(map(str, failed))
                        )
                else:
                    async with self._idle:
                        self._idle_poll = poll
                        self._idle.notify_all()
            except Exception:  # noqa: BLE001 - one bad batch must not stop the poller
                _log.exception("after-call processing failed")
            await asyncio.sleep(POLL_SECONDS)
