"""Side effects exactly once per call and arguments (Powertools idempotency).

The bridge gives up on a tool after its timeout and the model may ask again, while the first
request is still running in the tools Lambda or has already booked. Each side-effecting tool
runs under `idempotent_function`, keyed on the call, the tool and its validated arguments:
- the same request again after the first finished gets the first answer (one booking, one text);
- the same request while the first is still running gets `IN_PROGRESS` ("still working on it"),
  never a second run;
- a refusal (`Refused`) is raised through the decorator, which then forgets the request: nothing
  happened, so the caller may try again once, say, they have been verified.

An in-progress record is trusted only as long as its request can still be running: the Lambda's
remaining time when there is a Lambda context, else `IN_PROGRESS_WINDOW_S` (the tools Lambda's
own timeout is shorter, so a request killed by its timeout never blocks the retry for long).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.typing import LambdaContext

from pitstop.tools.schema import Refusal

# A call's requests are answered from the record for this long (a call is shorter).
REMEMBER_S = 2 * 60 * 60
IN_PROGRESS_WINDOW_S = 10
# One fixed prefix: the tool's name is in the hashed request, and Powertools keeps the prefix
# on the (shared) persistence layer, so a per-tool prefix would race between threads.
_KEY_PREFIX = "tool"

IN_PROGRESS = Refusal(
    error="in_progress",
    message="I'm still working on that request. Tell the caller it's in hand, wait a moment, "
    "and don't ask for it again yet.",
)


class _Window:
    """A stand-in Lambda context outside Lambda: `IN_PROGRESS_WINDOW_S` from its creation."""

    def __init__(self, seconds: float):
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def run_once(
    store: BasePersistenceLayer,
    request: dict[str, Any],
    work: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None = None,
) -> dict[str, Any]:
    """`work()`'s JSON answer, at most once per `request` (call_sid, tool, arguments)."""
    config = IdempotencyConfig(
        expires_after_seconds=REMEMBER_S,
        lambda_context=lambda_context or _Window(IN_PROGRESS_WINDOW_S),  # type: ignore[arg-type]
    )

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=store,
        config=config,
        key_prefix=_KEY_PREFIX,
    )
    def once(request: dict[str, Any]) -> dict[str, Any]:
        return work()

    try:
        result: dict[str, Any] = once(request=request)
    except IdempotencyAlreadyInProgressError:
        return IN_PROGRESS.model_dump(mode="json")
    return result
