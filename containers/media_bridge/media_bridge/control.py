"""How a call ends: a goodbye then a hang-up, a handoff to a person, or the watchdog's limits.

Once a handoff or hang-up has gone to Twilio, Twilio owns the call and closes the stream; the
bridge stops relaying and closes the stream itself if Twilio does not. Every path here ends with
the caller either hearing a person, a goodbye, or (when all else fails) a clean hang-up: never
a silent line.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime
from typing import Protocol

from media_bridge.instructions import AgentBrief
from media_bridge.observability import logger
from media_bridge.parts import CallParts
from media_bridge.ws import ConnectionClosed
from pitstop import handoff as handoffs
from pitstop.i18n import DEFAULT_LANGUAGE, text
from pitstop.models import AgentSettings, CallDirection, CallOutcome
from pitstop.twiml import handoff_twiml


def _line(brief: AgentBrief | None, key: str) -> str:
    """One of the agent's texts (`agent.<key>` of the language packs: `goodbye_<reason>`,
    `nudge`) in the call's language; English before the brief is read."""
    return text(brief.language if brief else DEFAULT_LANGUAGE, f"agent.{key}")


# A test call from the console has no Twilio call to redirect: the agent says so and ends it.
TEST_HANDOFF = (
    "This is a test call from the console, so nobody can be put through. Tell the caller that "
    "on a real call you would now transfer them to the shop, and say goodbye."
)
_CLOSE_AFTER_CONTROL = 5.0  # seconds Twilio gets to close a stream it has taken over


class Agent(Protocol):
    """What ending a call needs of the conversation."""

    @property
    def busy(self) -> bool:
        """A response is under way or a tool call is running: a goodbye now would collide."""
        ...

    async def respond(self, instructions: str) -> None:
        """Ask for one response with these instructions; raises `ConnectionClosed`."""
        ...


class CallControl:
    """Ending, goodbye, hang-up, handoff and the watchdog of one call."""

    def __init__(self, parts: CallParts):
        self._parts = parts
        self._options = parts.runtime.options
        self.brief: AgentBrief | None = None  # the shop and settings a handoff is planned by
        self.done = False  # a handoff or hang-up has been sent to Twilio
        self.goodbye: str | None = None  # goodbye instructions, sent once the agent is free
        self.goodbye_requested = False  # the goodbye response was asked for: hang up after it
        self._ending_since = 0.0
        self._nudged_at: float | None = None  # "are you still there?" was asked then
        # A test call (the console's browser phone) has no Twilio call: nothing goes to Twilio.
        self._twilio_call = parts.state.context.direction != CallDirection.TEST

    def begin_ending(self, reason: str) -> None:
        state = self._parts.state
        if not state.ending:
            state.ending = True
            self._ending_since = time.monotonic()
            logger.info("ending the call", extra={"reason": reason})

    async def say_goodbye(self, agent: Agent, reason: str) -> None:
        """End the call politely: a goodbye from the agent, then hang up once it has played."""
        if self._parts.state.ending:
            return
        self.begin_ending(reason)
        self.goodbye = _line(self.brief, f"goodbye_{reason}")
        if not agent.busy:
            await self.request_goodbye(agent, self.goodbye)

    async def end_call(self, agent: Agent, *, goodbye_spoken: bool) -> None:
        """The model called `end_call`: hang up after its goodbye, asking for one if it had none."""
        self.begin_ending("end_call")
        if goodbye_spoken:
            await self.hang_up()
        else:
            self.goodbye = _line(self.brief, "goodbye_end_call")
            await self.request_goodbye(agent, self.goodbye)

    async def request_goodbye(self, agent: Agent, goodbye: str) -> None:
        self.goodbye_requested = True
        try:
            await agent.respond(goodbye)
        except ConnectionClosed:
            await self.hang_up()

    async def hang_up(self) -> None:
        if self.done:
            return
        self.done = True
        self.begin_ending("hang_up")
        parts = self._parts
        await self._let_audio_play(self._options.end_call_audio_wait)
        try:
            if self._twilio_call:
                await asyncio.to_thread(parts.runtime.telephony.end_call, parts.call_sid)
        except Exception:
            logger.exception("could not hang up through Twilio")
        self._after_call_control()

    async def handoff(
        self, reason: str, *, agent: Agent | None = None, wait_audio: bool = True
    ) -> None:
        """Hand the caller to a person, as `pitstop.handoff.plan` decides.

        Inside opening hours the live call is redirected to the `<Dial action>` plan returns
        (so an unanswered line comes back to the agent). Outside them nobody can pick up: the
        agent, if it can still speak (`agent`), says so and offers a message or a booking;
        if it cannot, the stream ends *not* on purpose, and the webhook's `<Connect action>`
        route takes a message instead."""
        if self.done:
            return
        decided = self._plan()
        if decided is None:  # nobody we know to ring: the webhook's rescue decides
            self._leave_to_webhook(reason)
            return
        if decided.twiml is None:
            await self._closed_for_handoff(reason, agent, decided.instruction)
            return
        if not self._twilio_call:
            await self._test_handoff(reason, agent)
            return
        self.done = True
        self.begin_ending("handoff")
        parts = self._parts
        state = parts.state
        state.outcome = CallOutcome.HANDED_OFF
        await self._note_handoff(reason)
        parts.runtime.metrics.count("Handoffs")
        logger.info("handing off to a person", extra={"reason": reason})
        if wait_audio:
            await self._let_audio_play(self._options.handoff_audio_wait)
        telephony = parts.runtime.telephony
        try:
            await asyncio.to_thread(telephony.redirect_call, parts.call_sid, decided.twiml)
        except Exception:
            logger.exception("handoff failed; hanging up")
            try:
                await asyncio.to_thread(telephony.end_call, parts.call_sid)
            except Exception:
                logger.exception("could not hang up either")
        self._after_call_control()

    async def _test_handoff(self, reason: str, agent: Agent | None) -> None:
        """A test call's handoff: recorded as one, the agent says it would transfer now, and
        the call ends once that has played (`request_goodbye` hangs up after it)."""
        self.begin_ending("handoff")
        self._parts.state.outcome = CallOutcome.HANDED_OFF
        await self._note_handoff(reason)
        self._parts.runtime.metrics.count("Handoffs")
        logger.info("test call: handoff recorded, not sent", extra={"reason": reason})
        if agent is None:
            await self.hang_up()
        else:
            await self.request_goodbye(agent, TEST_HANDOFF)

    def _plan(self) -> handoffs.Handoff | None:
        """The shop's plan for a handoff now; without the shop (the CRM was unreadable), a
        plain `<Dial>` of the number we know, or None when we know none."""
        brief = self.brief
        parts = self._parts
        if brief is not None and brief.shop is not None:
            public_url = parts.runtime.settings.public_url
            now = datetime.now(UTC)
            return handoffs.plan(brief.shop, brief.settings, now, public_url, parts.call_sid)
        if brief is not None and brief.shop_phone:
            return handoffs.Handoff(handoff_twiml(brief.shop_phone, lang=brief.language))
        return None

    async def _closed_for_handoff(
        self, reason: str, agent: Agent | None, instruction: str | None
    ) -> None:
        """After hours: the agent offers a message or a booking; no agent: the webhook does."""
        parts = self._parts
        await self._note_handoff(f"{handoffs.AFTER_HOURS_REASON}: {reason}")
        parts.runtime.metrics.count("AfterHoursHandoffs")
        logger.info("handoff asked for after hours", extra={"reason": reason})
        if agent is None:
            self._leave_to_webhook(reason)
            return
        try:
            await agent.respond(instruction or handoffs.AFTER_HOURS_INSTRUCTION)
        except ConnectionClosed:
            await self.hang_up()

    async def _note_handoff(self, reason: str) -> None:
        """The reason (written with the stream's last write) and, before the call leaves the
        bridge, the link staff open to read the call so far."""
        parts = self._parts
        parts.state.handoff_reason = reason
        crm = parts.runtime.crm
        if crm is None:
            return
        url = handoffs.transcript_url(parts.runtime.settings.console_url, parts.call_sid)
        try:
            await asyncio.to_thread(crm.calls.set_fields, parts.call_sid, {"transcript_url": url})
        except Exception:  # the handoff matters more than the link: go on without it
            logger.exception("could not put the transcript link on the call record")

    def _leave_to_webhook(self, reason: str) -> None:
        """End the stream *not* on purpose: Twilio asks the `<Connect action>` route what next,
        and it answers with a person in opening hours or a message taker after them."""
        logger.info("leaving the call to the webhook's rescue", extra={"reason": reason})
        self.begin_ending("rescue")
        self._parts.state.relaying = False
        self._parts.ended.set()

    async def _let_audio_play(self, at_most: float) -> None:
        """Let the caller hear what was sent (a goodbye, "let me connect you") before acting."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(at_most):
                await self._parts.state.playout.drained()

    def _after_call_control(self) -> None:
        """Twilio now owns the call; it closes the stream. Close it ourselves if it does not."""
        parts = self._parts
        parts.state.relaying = False
        if not self._twilio_call:  # no Twilio to close the stream: the bridge closes it now
            parts.ended.set()
            return

        async def close_later() -> None:
            try:
                await asyncio.wait_for(parts.ended.wait(), _CLOSE_AFTER_CONTROL)
            except TimeoutError:
                parts.ended.set()

        parts.spawn(close_later(), "close-later")

    async def watchdog(self, agent: Agent, settings: AgentSettings) -> None:
        """Silence, the maximum call length, and a goodbye that never came, checked each tick.

        Silence for `silence_timeout_seconds` first gets "are you still there?" (once per
        silence: anything the caller does starts a new one); only as long again after it ends
        the call."""
        ended = self._parts.ended
        while not ended.is_set():
            await asyncio.sleep(self._options.watchdog_interval)
            await self._check(agent, settings, time.monotonic())

    async def _check(self, agent: Agent, settings: AgentSettings, now: float) -> None:
        state = self._parts.state
        if state.ending:
            if not self.done and now - self._ending_since > self._options.goodbye_timeout:
                await self.hang_up()
            return
        if now - state.started_at >= settings.max_call_seconds:
            await self.say_goodbye(agent, "max_call_length")
            return
        nudged = self._nudged_at is not None and self._nudged_at >= state.last_activity
        idle_since = max(state.last_activity, state.playout.last_played_at, self._nudged_at or 0)
        quiet = not state.playout.audible and not agent.busy
        if not quiet or now - idle_since < settings.silence_timeout_seconds:
            return
        if nudged:  # asked once in this silence, and still nothing: end the call politely
            await self.say_goodbye(agent, "silence")
        else:
            await self._nudge(agent, now)

    async def _nudge(self, agent: Agent, now: float) -> None:
        """A quiet line may be a caller thinking or a bad line: ask before hanging up."""
        self._nudged_at = now
        self._parts.runtime.metrics.count("SilenceNudges")
        logger.info("asking whether the caller is still there")
        try:
            await agent.respond(_line(self.brief, "nudge"))
        except ConnectionClosed:
            await self.hang_up()
