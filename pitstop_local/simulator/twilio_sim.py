"""The simulated Twilio: places a call against the webhook and plays a scenario's caller.

What it does, in Twilio's order: posts the voice webhook (form fields and a valid
`X-Twilio-Signature`, computed by twilio's own `RequestValidator` with the account's auth
token), executes the TwiML it gets back (`<Connect><Stream>`, `<Say>`, `<Pause>`, `<Dial>`,
`<Record>`, `<Redirect>`, `<Hangup>`), runs the media stream on the line clock (see `line.py`),
follows REST changes to the live call (locally: `redirect`/`hangup` entries in the outbox),
follows `action` URLs as Twilio does (`<Connect action>` when the stream ends with the call
still up, `<Dial action>` and `<Record action>`: see `verbs.py`), and posts the final status
callback. For reminder calls it answers the call the reminders run placed
(an outbox `call` entry), as a human or as an answering machine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake

from pitstop.secrets import twilio_credentials
from pitstop.telephony import read_outbox
from pitstop_local.simulator import scenario as sc
from pitstop_local.simulator import verbs
from pitstop_local.simulator.line import FRAME_MS, SILENCE_FRAME, Clock, LineEvent, MediaSession
from pitstop_local.simulator.media_protocol import TwilioError
from pitstop_local.simulator.results import BargeIn, CallResult, Hop, Leg, Turn

__all__ = ["BargeIn", "CallResult", "SimulationError", "Turn", "TwilioSimulator"]

log = logging.getLogger(__name__)

#: TwiML documents one call may go through (redirects, actions) before the simulator calls it a
#: loop: Twilio's own limit is higher, but no Pitstop flow needs more than a handful.
MAX_HOPS = 12

#: (call_sid) → every transcript turn known so far as (role, text); lets the simulator show the
#: agent's words (Twilio itself never sees them). The local stack reads them from the CRM.
TranscriptSource = Callable[[str], Awaitable[list[tuple[str, str]]]]


class SimulationError(RuntimeError):
    pass


class TwilioSimulator:
    """Places simulated calls against a Pitstop webhook base URL (`http_url`)."""

    def __init__(
        self,
        http_url: str,
        *,
        auth_token: str | None = None,
        account_sid: str | None = None,
        shop_number: str = "+15005550006",
        public_url: str | None = None,
        speed: float = 1.0,
        outbox_path: Path | None = None,
        transcript_source: TranscriptSource | None = None,
        on_turn: Callable[[Turn], None] | None = None,
        http_timeout: float = 15.0,
        strict: bool = True,
    ):
        creds = twilio_credentials()
        self.strict = strict  # refuse stream messages Twilio would refuse (see media_protocol)
        self.http_url = http_url.rstrip("/")
        self.public_url = (public_url or http_url).rstrip("/")
        self.auth_token = auth_token or creds.auth_token
        self.account_sid = account_sid or creds.account_sid
        self.shop_number = shop_number
        self.speed = speed
        self.outbox_path = Path(outbox_path) if outbox_path else None
        self.transcript_source = transcript_source
        self.on_turn = on_turn
        self.http_timeout = http_timeout
        self._validator = RequestValidator(self.auth_token)

    # ---- entry points -------------------------------------------------------------------------
    async def call(self, scenario: sc.Scenario, *, caller: str | None = None) -> CallResult:
        """An inbound call from `caller` (default: the scenario's) to the shop's number."""
        call_sid = "CA" + uuid.uuid4().hex
        result = CallResult(call_sid, "inbound", caller or scenario.caller, self.shop_number)
        form = self.base_form(call_sid, result.caller, self.shop_number, "inbound")
        form["CallStatus"] = "ringing"
        await self._run(
            scenario,
            result,
            f"{self.public_url}/voice",
            form,
            status_callback=f"{self.public_url}/voice/status",
        )
        return result

    async def answer(self, scenario: sc.Scenario, dialled: dict) -> CallResult:
        """Answer an outbound call that was placed through the outbox (`kind == "call"`)."""
        answered_by = scenario.answered_by
        result = CallResult(
            dialled["sid"],
            "reminder",
            dialled["to"],
            dialled.get("from_") or self.shop_number,
            answered_by=answered_by,
        )
        form = self.base_form(result.call_sid, result.shop_number, result.caller, "outbound-api")
        form["CallStatus"] = "in-progress"
        if dialled.get("machine_detection", True):
            form["AnsweredBy"] = answered_by
            form["MachineDetectionDuration"] = "2400" if answered_by != "human" else "1200"
        await self._run(
            scenario, result, dialled["url"], form, status_callback=dialled.get("status_callback")
        )
        return result

    # ---- the call -----------------------------------------------------------------------------
    async def _run(
        self,
        scenario: sc.Scenario,
        result: CallResult,
        url: str,
        form: dict,
        status_callback: str | None,
    ) -> None:
        from pitstop_local.speech.tts import CALLER_VOICE, Synthesizer

        caller_tts = Synthesizer(**CALLER_VOICE)
        # Synthesise every utterance before dialling, so speaking never stalls the line clock.
        texts = [s.text for s in scenario.steps if isinstance(s, sc.Say | sc.BargeIn)]
        speech = {}
        for text in dict.fromkeys([*texts, scenario.message]):
            speech[text] = await asyncio.to_thread(caller_tts.synthesize_mulaw, text)
        clock = Clock(self.speed)
        started = datetime.now(UTC)
        async with httpx.AsyncClient(timeout=self.http_timeout) as http:
            leg = Leg(http, scenario, speech, result, clock, form)
            try:
                twiml = await self.post(http, url, form, result)
                await self._execute(twiml, url, leg)
            finally:
                result.duration_ms = clock.ms
                result.caller_audio = bytes(clock.caller_audio)
                result.agent_audio = bytes(clock.agent_audio)
                await self.refresh_transcript(result)
                if status_callback:
                    status = dict(
                        form,
                        CallStatus="completed",
                        CallDuration=str(max(1, round(clock.ms / 1000))),
                        Timestamp=started.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                        CallbackSource="call-progress-events",
                        SequenceNumber="3",
                    )
                    try:
                        await self.post(http, status_callback, status, None)
                    except (httpx.HTTPError, SimulationError) as error:
                        result.failures.append(f"status callback failed: {error}")

    async def _execute(self, twiml: str, url: str, leg: Leg) -> None:
        """Run TwiML verbs in order, as Twilio does, following `<Redirect>`, `action` URLs and
        REST redirects, until the call is over."""
        result = leg.result
        for _hop in range(MAX_HOPS):
            result.twiml.append(twiml)
            root = ET.fromstring(twiml)
            if root.tag != "Response":
                raise SimulationError(f"TwiML root is <{root.tag}>, not <Response>")
            hop = await self._run_verbs(root, url, leg)
            if hop is None:
                break
            result.ended_by = ""  # the call goes on: how it ends is the next document's
            kind, where, fields = hop
            if kind == "twiml":  # a REST redirect: its TwiML replaces the call's
                twiml = where
            else:
                url = where
                form = {**leg.form, "CallStatus": "in-progress", **fields}
                twiml = await self.post(leg.http, where, form, result)
        else:
            result.failures.append(f"more than {MAX_HOPS} TwiML documents: a loop?")
        steps = leg.scenario.steps
        if leg.next_step < len(steps):
            step = steps[leg.next_step]
            result.failures.append(f"call ended before step {leg.next_step + 1} ({step.type})")

    async def _run_verbs(self, root: ET.Element, url: str, leg: Leg) -> Hop | None:
        """One TwiML document's verbs in order. Returns where the call goes next (a URL to
        request, or a REST redirect's TwiML), or None when the call is over."""
        result, clock = leg.result, leg.clock
        for verb in root:
            if verb.tag == "Say":
                await self._say(verb.text or "", result, clock)
            elif verb.tag == "Pause":
                await verbs.silence(clock, int(verb.get("length", "1")) * 1000)
            elif verb.tag == "Dial":
                hop = await verbs.dial(self, leg, verb, url)
                if hop is not None:
                    return hop
            elif verb.tag == "Record":
                return await verbs.record(self, leg, verb, url)
            elif verb.tag == "Hangup":
                result.ended_by = result.ended_by or "twiml_hangup"
                return None
            elif verb.tag == "Redirect":
                return "post", urljoin(url, (verb.text or "").strip()), {}
            elif verb.tag == "Connect":
                after = await self._connect(verb, url, leg)
                if after != "next":
                    return after
            else:
                log.info("TwiML verb <%s> not simulated; skipped", verb.tag)
        result.ended_by = result.ended_by or "twiml_end"
        return None

    async def _connect(
        self, connect: ET.Element, url: str, leg: Leg
    ) -> Hop | Literal["next"] | None:
        """`<Connect>`: its `<Stream>`, then where the call goes: None when it is over, a REST
        redirect, the `action` (the stream ended with the call still up: Twilio asks what
        next), or "next" (no stream, or no `action`: on to the next verb)."""
        stream = connect.find("Stream")
        if stream is None:
            return "next"
        outcome = await self._stream(stream, leg)
        if outcome is None or outcome == "hangup":
            return None
        if outcome.startswith("<"):
            return "twiml", outcome, {}
        action = connect.get("action")
        return ("post", urljoin(url, action), {}) if action else "next"

    async def _stream(self, stream: ET.Element, leg: Leg) -> str | None:
        """`<Connect><Stream>`: open the WebSocket and play the scenario over it.

        Returns None when the call is over, "hangup", the TwiML of a REST redirect, or "closed"
        when the other side ended the stream (or never took it) with the call still up."""
        result, clock = leg.result, leg.clock
        parameters = {p.get("name"): p.get("value", "") for p in stream.findall("Parameter")}
        stream_sid = "MZ" + uuid.uuid4().hex
        outbox = _OutboxWatch(self.outbox_path, result.call_sid)
        try:
            ws = await connect(stream.get("url"), open_timeout=self.http_timeout, max_size=None)
        except (OSError, TimeoutError, InvalidHandshake) as error:
            # Twilio reports a stream it could not open (31920) and moves on, as when it ends.
            result.events.append(LineEvent(clock.ms, "stream_failed", {"error": repr(error)}))
            result.ended_by = "stream_failed"
            return "closed"
        result.stream_opened = True
        result.stream_parameters = parameters
        result.streams += 1
        async with ws:
            clock.rebase()
            result.events.append(LineEvent(clock.ms, "stream_started", {"streamSid": stream_sid}))
            session = MediaSession(
                ws,
                clock,
                stream_sid=stream_sid,
                call_sid=result.call_sid,
                account_sid=self.account_sid,
                parameters=parameters,
                poll=outbox.poll,
                on_event=lambda e: self._on_line(e, result),
                strict=self.strict,
            )
            await session.open()
            runner = asyncio.create_task(session.run())
            script = asyncio.create_task(self._play(leg, session))
            done, _ = await asyncio.wait({runner, script}, return_when=asyncio.FIRST_COMPLETED)
            if script in done and runner not in done:
                await runner
            elif not script.done():
                script.cancel()
                clock.fail_waiters(asyncio.CancelledError())
            await asyncio.gather(script, return_exceptions=True)
            if script.done() and not script.cancelled() and script.exception():
                result.failures.append(f"scenario error: {script.exception()!r}")
            result.events.extend(session.events)
            _record_twilio_errors(result, session.errors)
        result.barge_ins = [self._measure(b, clock, session) for b in result.barge_ins]
        reason = session.closed_reason
        if reason == "remote_closed" and outbox.poll():  # the REST change raced the close
            reason = "redirect" if outbox.twiml is not None else "hangup"
        result.ended_by = result.ended_by or reason
        if reason == "redirect":
            return outbox.twiml
        if reason in ("hangup", "caller_hung_up"):
            return "hangup"
        return None if reason != "remote_closed" else "closed"

    async def _play(self, leg: Leg, session: MediaSession) -> None:
        """The caller's side: each step in call time, carrying on from where an earlier stream
        of the call left off; then wait for the agent to end the call."""
        clock, steps = session.clock, leg.scenario.steps
        while leg.next_step < len(steps):
            if session.closed_reason:
                return  # the stream is over; the call may go on (see `_execute`)
            index = leg.next_step
            leg.next_step += 1
            if not await self._play_step(steps[index], index, leg.speech, session, leg.result):
                return
        # Script done without hanging up: give the agent time to close the call, as a polite
        # caller would, then hang up.
        await clock.until(lambda: bool(session.closed_reason), 15_000)
        if not session.closed_reason:
            await session.stop("caller_hung_up")

    async def _play_step(
        self,
        step: sc.Step,
        index: int,
        speech: dict[str, bytes],
        session: MediaSession,
        result: CallResult,
    ) -> bool:
        """One step of the caller's script; False once the caller has hung up."""
        clock = session.clock
        if isinstance(step, sc.Say):
            self.turn(result, Turn("caller", step.text, clock.ms))
            session.speak(speech[step.text])
            await clock.until(lambda: session.caller_queue_empty or session.closed_reason)
        elif isinstance(step, sc.Pause):
            await clock.wait_ms(step.ms)
        elif isinstance(step, sc.Dtmf):
            for digit in step.digits:
                await session.dtmf(digit)
                await clock.wait_ms(100)
        elif isinstance(step, sc.WaitForAgent):
            failed = len(result.failures)
            await self._wait_for_agent(step, session, result, index)
            if len(result.failures) > failed and not session.closed_reason:
                await session.stop("caller_hung_up")  # the script is off track: give up
                return False
        elif isinstance(step, sc.BargeIn):
            return await self._barge_in(step, index, speech, session, result)
        elif isinstance(step, sc.Hangup):
            await session.stop("caller_hung_up")
            return False
        return True

    async def _barge_in(
        self,
        step: sc.BargeIn,
        index: int,
        speech: dict[str, bytes],
        session: MediaSession,
        result: CallResult,
    ) -> bool:
        """Talk over the agent once it has spoken for `after_ms`; False if it never did."""
        clock = session.clock
        start = session.agent_frames
        heard = step.after_ms // FRAME_MS
        ok = await clock.until(
            lambda: session.agent_frames - start >= heard or bool(session.closed_reason),
            step.timeout_ms,
        )
        if not ok or session.closed_reason:
            result.failures.append(f"step {index + 1}: agent never talked to barge in on")
            await session.stop("caller_hung_up")
            return False
        tag = f"barge_in_{index}"
        self.turn(result, Turn("caller", step.text, clock.ms))
        session.speak(speech[step.text], tag=tag)
        result.barge_ins.append(BargeIn(-1, None, 0, tag))
        await clock.until(lambda: session.caller_queue_empty or session.closed_reason)
        return True

    async def _wait_for_agent(
        self, step: sc.WaitForAgent, session: MediaSession, result: CallResult, index: int
    ) -> None:
        """Wait for the end of the agent's turn; with `expect`, for the turn that says it."""
        clock = session.clock
        deadline = clock.tick + step.timeout_ms // FRAME_MS
        pattern = re.compile(step.expect, re.IGNORECASE) if step.expect else None

        def left_ms() -> int:
            return max((deadline - clock.tick) * FRAME_MS, FRAME_MS)

        def turn_over() -> bool:
            return not session.agent_buffered and session.agent_quiet_ms() >= step.quiet_ms

        while True:
            start = session.agent_frames
            await clock.until(
                lambda s=start: session.agent_frames > s or bool(session.closed_reason), left_ms()
            )
            if session.agent_frames > start:
                await clock.until(lambda: turn_over() or bool(session.closed_reason), left_ms())
            if session.closed_reason:
                await self.refresh_transcript(result, session.agent_turn_start_ms)
                return
            if not (session.agent_frames > start and turn_over()):
                result.failures.append(
                    f"step {index + 1}: the agent did not finish a turn within {step.timeout_ms} ms"
                )
                return
            await self.refresh_transcript(result, session.agent_turn_start_ms)
            if pattern is None or self.transcript_source is None:
                return
            # The words may trail the audio by a moment (the bridge writes them as it goes):
            # look again every 200 ms of line time until they match or the agent talks again.
            heard = session.agent_frames
            while True:
                if pattern.search(self._agent_reply(result)):
                    return
                if session.agent_frames > heard or session.closed_reason:
                    break
                if clock.tick >= deadline:
                    result.failures.append(
                        f"step {index + 1}: the agent never said "
                        f"/{step.expect}/ (heard: {self._agent_reply(result)!r})"
                    )
                    return
                await clock.until(
                    lambda h=heard: session.agent_frames > h or bool(session.closed_reason), 200
                )
                await self.refresh_transcript(result, session.agent_turn_start_ms)

    @staticmethod
    def _agent_reply(result: CallResult) -> str:
        """What the agent said since the caller last spoke."""
        return " ".join(t.text for t in result.turns[_reply_start(result) :] if t.role == "agent")

    # ---- TwiML verbs outside a stream ---------------------------------------------------------
    async def _say(self, text: str, result: CallResult, clock: Clock) -> None:
        from pitstop_local.speech import codec
        from pitstop_local.speech.tts import AGENT_VOICE, Synthesizer

        self.turn(result, Turn("twiml", text.strip(), clock.ms))
        audio = await asyncio.to_thread(Synthesizer(**AGENT_VOICE).synthesize_mulaw, text)
        clock.rebase()
        for frame in codec.frames(audio):
            clock.record(SILENCE_FRAME, frame)
            await clock.advance()

    # ---- helpers ------------------------------------------------------------------------------
    def base_form(self, call_sid: str, from_: str, to: str, direction: str) -> dict[str, str]:
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "Direction": direction,
            "From": from_,
            "To": to,
            "Caller": from_,
            "Called": to,
            "FromCountry": "US",
            "ToCountry": "US",
        }

    async def post(
        self, http: httpx.AsyncClient, url: str, form: dict, result: CallResult | None
    ) -> str:
        """POST a signed Twilio webhook request; returns the TwiML body."""
        signature = self._validator.compute_signature(url, form)
        response = await http.post(
            self._transport(url),
            data=form,
            headers={
                "X-Twilio-Signature": signature,
                "User-Agent": "TwilioProxy/1.1 (pitstop simulator)",
            },
        )
        if result is not None:
            result.requests.append(url)
            result.http_status = response.status_code
        if response.status_code != 200:
            raise SimulationError(f"{url} answered {response.status_code}: {response.text[:200]}")
        return response.text

    def _transport(self, url: str) -> str:
        """Where to send a request Twilio would send to `url` (public base → local base)."""
        if url.startswith(self.public_url) and self.public_url != self.http_url:
            return self.http_url + url[len(self.public_url) :]
        return url

    def turn(self, result: CallResult, turn: Turn) -> None:
        result.turns.append(turn)
        if self.on_turn is not None:
            self.on_turn(turn)

    def _on_line(self, event: LineEvent, result: CallResult) -> None:
        if event.kind.startswith("barge_in_"):
            for barge in result.barge_ins:
                if barge.tag == event.kind:
                    barge.speech_ms = event.ms

    def _measure(self, barge: BargeIn, clock: Clock, session: MediaSession) -> BargeIn:
        """When did the agent's audio stop after the caller's first voiced frame?"""
        if barge.speech_ms < 0:
            return barge
        first = barge.speech_ms // FRAME_MS
        played = clock.agent_played
        tick = first
        while tick < len(played) and played[tick]:
            tick += 1
        stop = tick * FRAME_MS if tick < len(played) else None
        clears = sum(1 for e in session.events if e.kind == "clear" and e.ms >= barge.speech_ms)
        return BargeIn(barge.speech_ms, stop, clears, barge.tag)

    async def refresh_transcript(self, result: CallResult, ms: int | None = None) -> None:
        """Add the agent's words that the transcript source knows and we have not shown yet
        (call again once the stack has finished the call, for the last words)."""
        if self.transcript_source is None:
            return
        try:
            turns = await self.transcript_source(result.call_sid)
        except Exception as error:  # noqa: BLE001 - showing words is best effort
            log.debug("transcript source failed: %r", error)
            return
        known = sum(1 for t in result.turns if t.role == "agent")
        agent = [text for role, text in turns if role == "agent"]
        for text in agent[known:]:
            self.turn(result, Turn("agent", text, result.duration_ms if ms is None else ms))


def _record_twilio_errors(result: CallResult, errors: list[TwilioError]) -> None:
    """Twilio's debugger warnings fail the call: one failure per code (Twilio reports each once
    per stream), every occurrence kept in `twilio_errors`."""
    result.twilio_errors.extend(errors)
    for code in dict.fromkeys(e.code for e in errors):
        first = next(e for e in errors if e.code == code)
        count = sum(1 for e in errors if e.code == code)
        result.failures.append(f"{first} ({count} message(s) dropped, first at {first.ms} ms)")


def _reply_start(result: CallResult) -> int:
    """Index of the first turn after the caller's last utterance (the agent's current reply)."""
    for i in range(len(result.turns) - 1, -1, -1):
        if result.turns[i].role == "caller":
            return i + 1
    return 0


class _OutboxWatch:
    """Follows the local outbox for REST changes to one live call (redirect / hang-up).

    In production Twilio receives `calls(sid).update(...)`; locally that request is an outbox
    line, and this is the simulated Twilio noticing it. It reads only what is written after
    the stream opened: Twilio acts on a REST update once, so a call's second stream (back from
    an unanswered handoff) must not obey the redirect that ended its first."""

    def __init__(self, path: Path | None, call_sid: str):
        self._path = path
        self._call_sid = call_sid
        self._offset = path.stat().st_size if path is not None and path.exists() else 0
        self.twiml: str | None = None

    def poll(self) -> str | None:
        if self._path is None or not self._path.exists():
            return None
        with self._path.open("rb") as outbox:
            outbox.seek(self._offset)
            chunk = outbox.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("call_sid") != self._call_sid:
                continue
            if entry.get("kind") == "redirect":
                self.twiml = entry.get("twiml", "")
                return "redirect"
            if entry.get("kind") == "hangup":
                return "hangup"
        return None


def pending_calls(outbox_path: Path, answered: set[str] | None = None) -> list[dict]:
    """Outbound calls placed through the outbox (oldest first), minus those already answered."""
    answered = answered or set()
    return [
        e for e in read_outbox(outbox_path) if e.get("kind") == "call" and e["sid"] not in answered
    ]


def strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
