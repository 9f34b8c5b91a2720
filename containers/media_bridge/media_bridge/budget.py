"""The per-call token ceiling (`AgentSettings.max_tokens_per_call`).

Every response re-reads the whole conversation, so a call's tokens grow faster than its
length; a call that loops or never ends would cost without bound. Past the ceiling the agent
wraps up once: a response (through the gate, like any other) that apologises, says it has to
finish, and offers a person or a message, which then go the normal way (the handoff and
`take_message` tools). A call that still goes on past `HARD_LIMIT` times the ceiling is handed
off without asking. Both are counted (`TokenBudgetReached` with `step`), and logged.

The per-response cap is the session's `max_output_tokens` (see `realtime_side.session_update`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from media_bridge.call_state import Usage
from media_bridge.observability import BridgeMetrics, logger

HARD_LIMIT = 1.25
HANDOFF_REASON = "token budget exhausted"
WRAP_UP = (
    "This call has gone on for longer than this line allows. Politely tell the caller you need "
    "to wrap up now, briefly sum up what was done, and offer to take a message for a call back "
    "(take_message) or to connect them with a member of the team (request_operator_handoff). Do "
    "not start anything new."
)


class TokenBudget:
    """Watches the call's summed usage after each `response.done`."""

    __slots__ = ("_ceiling", "_hand_off", "_metrics", "_respond", "step")

    def __init__(
        self,
        ceiling: int,
        *,
        respond: Callable[[str], Awaitable[None]],
        hand_off: Callable[[str], Awaitable[None]],
        metrics: BridgeMetrics,
    ) -> None:
        self._ceiling = ceiling
        self._respond = respond
        self._hand_off = hand_off
        self._metrics = metrics
        self.step: str | None = None  # "wrap_up", then "handoff": what the budget has done

    async def spent(self, usage: Usage, *, ending: bool) -> None:
        """After `usage` grew: wrap up past the ceiling, hand off past the hard limit (a call
        already `ending` in a goodbye or a handoff is left to end)."""
        if ending:
            return
        total = usage.total
        if self.step is None and total >= self._ceiling:
            self._act("wrap_up", total)
            await self._respond(WRAP_UP)
        elif self.step == "wrap_up" and total >= self._ceiling * HARD_LIMIT:
            self._act("handoff", total)
            await self._hand_off(HANDOFF_REASON)

    def _act(self, step: str, total: int) -> None:
        self.step = step
        self._metrics.budget_reached(step)
        logger.warning(
            "token budget reached",
            extra={"step": step, "tokens": total, "ceiling": self._ceiling},
        )
