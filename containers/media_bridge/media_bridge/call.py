"""One call: the Twilio stream, its Realtime session, and what happens between them.

Three tasks per call once it is set up: the Twilio reader (caller audio, marks, DTMF, stop), the
Realtime reader (agent audio and every other server event; it reconnects when the link drops)
and a watchdog (silence, maximum call length, a goodbye that never came). Tool calls run in
their own tasks. Anything that goes wrong inside one call is caught here and ends at most that
call.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime

from websockets.exceptions import ConnectionClosed

from media_bridge import realtime_side as rt
from media_bridge import twilio_side as tw
from media_bridge.call_state import CallContext, CallState
from media_bridge.fastjson import loads
from media_bridge.instructions import AgentBrief, fallback_brief, load_brief
from media_bridge.observability import bind_call, logger, mask_phone
from media_bridge.recorder import CallRecorder
from media_bridge.runtime import Runtime
from media_bridge.tool_runner import ToolOutcome, ToolRunner
from media_bridge.wsfast import write_now
from pitstop.models import CallRecord
from pitstop.stream_token import InvalidStreamToken, verify_token
from pitstop.twiml import DEFAULT_HANDOFF_MESSAGE, handoff_twiml

OUTCOME_BY_TOOL = {
    "book_appointment": "booked",
    "reschedule_appointment": "rescheduled",
    "cancel_appointment": "cancelled",
    "confirm_appointment": "confirmed",
}
GOODBYE = {
    "end_call": "Say a brief, friendly goodbye to the caller now.",
    "silence": "The caller has been silent for a while. Say that you will end the call now, that "
    "they are welcome to call back any time, and say goodbye.",
    "max_call_length": "This call has reached its time limit. Apologise, say the team will be happy "
    "to help on another call, and say goodbye.",
}
RECONNECTED = (
    "The phone line to you dropped for a moment and is back. Briefly apologise for the "
    "interruption and continue exactly where the conversation left off."
)
_LOGGED_BAD_FRAMES = 5


class CallSession:
    def __init__(self, runtime: Runtime, ws):
        self.runtime = runtime
        self.options = runtime.options
        self.ws = ws
        self.call_sid: str | None = None
        self.state: CallState | None = None
        self.brief: AgentBrief | None = None
        self.link: rt.RealtimeLink | None = None
        self.out: tw.TwilioOut | None = None
        self.recorder: CallRecorder | None = None
        self.tools: ToolRunner | None = None
        self.ended = asyncio.Event()
        self._ready = False  # the Realtime session is configured: caller audio flows
        self._tasks: list[asyncio.Task] = []
        self._session_event: dict | None = None
        self._bad_frames = 0
        self._caller_left = False
        self._control_done = False  # a handoff or hang-up has been sent to Twilio
        self._goodbye_text: str | None = None  # goodbye wanted once the current response ends
        self._goodbye_requested = False  # goodbye response sent: hang up after it
        self._ending_since: float | None = None
        self._escalation: re.Pattern | None = None
        self._session_items: set[str] = set()  # assistant items of the current Realtime session
        self._drops = 0  # Realtime links lost during this call
        self._handlers = {
            "input_audio_buffer.speech_started": self._on_speech_started,
            "input_audio_buffer.speech_stopped": self._on_activity,
            "response.created": self._on_response_created,
            "response.done": self._on_response_done,
            "response.function_call_arguments.done": self._on_function_call,
            "conversation.item.input_audio_transcription.completed": self._on_caller_transcript,
            "response.output_audio_transcript.done": self._on_agent_transcript,
            "error": self._on_error,
        }

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        start = await self._await_start()
        if start is None:
            return
        try:
            await self._serve(start)
        except Exception:  # noqa: BLE001 - never let one call take the process down
            logger.exception("call failed")
            if self.state is not None and not self._control_done and not self._caller_left:
                await self._safe(self.handoff("bridge_error", wait_audio=False))
        finally:
            await self._cleanup()

    async def _await_start(self) -> tw.StreamStart | None:
        """Read until Twilio's `start`; check the stream token before anything else happens."""
        try:
            async with asyncio.timeout(self.options.start_timeout):
                async for frame in self.ws:
                    try:
                        message = tw.parse(frame)
                        if message["event"] == "connected":
                            continue
                        if message["event"] != "start":
                            raise tw.TwilioProtocolError(f"{message['event']} before start")
                        start = tw.parse_start(message)
                    except tw.TwilioProtocolError as error:
                        logger.warning(
                            "refused stream: bad frame before start", extra={"error": str(error)}
                        )
                        await self.ws.close(1008, "expected start")
                        return None
                    break
                else:
                    return None
        except (TimeoutError, ConnectionClosed):
            await self._safe(self.ws.close(1008, "no start"))
            return None
        direction = start.parameters.get("direction", "")
        try:
            key = await self.runtime.token_key()
            verify_token(start.parameters.get("token"), start.call_sid, direction, key)
        except InvalidStreamToken as error:
            logger.warning(
                "refused stream: invalid token",
                extra={"call_sid": start.call_sid, "reason": str(error)},
            )
            await self._safe(self.ws.close(1008, "invalid stream token"))
            return None
        return start

    async def _serve(self, start: tw.StreamStart) -> None:
        self.call_sid = start.call_sid
        bind_call(start.call_sid)
        context = CallContext.from_parameters(start.call_sid, start.stream_sid, start.parameters)
        self.state = CallState(context)
        self.out = tw.TwilioOut(start.stream_sid)
        crm = self.runtime.crm
        self.recorder = CallRecorder(crm.calls if crm is not None else None, start.call_sid)
        self.recorder.start(
            CallRecord(
                call_sid=context.call_sid,
                direction=context.direction,
                caller=context.caller,
                customer_id=context.customer_id,
                appointment_id=context.appointment_id,
                status="in-progress",
                started_at=datetime.now(UTC),
            )
        )
        logger.info(
            "call started",
            extra={"direction": context.direction, "caller": mask_phone(context.caller)},
        )
        self._spawn(self._twilio_reader(), "twilio-reader")

        self.brief = await self._load_brief(context)
        words = [w for w in self.brief.settings.escalation_words if w.strip()]
        if words:
            self._escalation = re.compile(
                r"\b(" + "|".join(map(re.escape, words)) + r")\b", re.IGNORECASE
            )
        tools = await self.runtime.tool_definitions()
        self.tools = ToolRunner(
            self.runtime.tools,
            timeout=self.options.tool_timeout,
            context=context.for_tools,
            send_output=self._send_tool_output,
            batch_done=self._on_tool_batch_done,
            on_outcome=self._on_tool_outcome,
        )
        self._session_event = rt.session_update(
            instructions=self.brief.instructions,
            tools=tools,
            voice=self.brief.settings.voice,
            language=self.brief.settings.language,
            transcription_model=self.options.transcription_model,
        )
        if self.ended.is_set():
            return
        self.link = await self._connect(self.options.realtime_open_timeout)
        if self.link is None:
            if not self.ended.is_set():
                await self.handoff("ai_unavailable", wait_audio=False)
        else:
            await self.link.send(self._session_event)
            await self.link.send(rt.response_create())  # the agent speaks first
            self._ready = True
            self._spawn(self._realtime_reader(), "realtime-reader")
            self._spawn(self._watchdog(), "watchdog")
        await self.ended.wait()

    async def _load_brief(self, context: CallContext) -> AgentBrief:
        crm = self.runtime.crm
        if crm is None:
            return fallback_brief(self.runtime.settings)
        try:
            return await asyncio.to_thread(
                load_brief, crm, context, self.runtime.settings, datetime.now(UTC)
            )
        except Exception:  # noqa: BLE001 - a CRM outage still gets an agent that offers a person
            logger.exception("could not read the shop and customer; using the fallback brief")
            return fallback_brief(self.runtime.settings)

    async def _cleanup(self) -> None:
        self.ended.set()
        self._ready = False
        if self.tools is not None:
            self.tools.cancel_all()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        if self.link is not None:
            await self.link.close()
        if self.state is None:
            return
        st = self.state
        outcome = st.outcome or (
            "caller_hung_up" if self._caller_left and not st.ending else "completed"
        )
        self.recorder.finish(
            outcome=outcome,
            usage=st.usage,
            handoff_reason=st.handoff_reason,
            customer_id=st.context.customer_id,
        )
        self.runtime.metrics.outcome(outcome)
        logger.info(
            "call ended",
            extra={"outcome": outcome, "seconds": round(time.monotonic() - st.started_at, 1)},
        )
        await self.recorder.close()
        await self._safe(self.ws.close())

    def _spawn(self, coro, name: str) -> asyncio.Task:
        task = asyncio.create_task(coro, name=f"{name}-{self.call_sid}")
        self._tasks.append(task)
        return task

    @staticmethod
    async def _safe(awaitable) -> None:
        try:
            await awaitable
        except Exception:  # noqa: BLE001
            logger.debug("ignored error", exc_info=True)

    def _bad_frame(self, side: str, reason: str) -> None:
        self._bad_frames += 1
        if self._bad_frames <= _LOGGED_BAD_FRAMES or self._bad_frames % 1000 == 0:
            logger.warning(
                "dropped a malformed frame",
                extra={"side": side, "reason": reason, "count": self._bad_frames},
            )

    # ------------------------------------------------------------------ Twilio → Realtime
    async def _twilio_reader(self) -> None:
        ws = self.ws
        try:
            async for frame in ws:
                if type(frame) is not str:
                    self._bad_frame("twilio", "binary frame")
                    continue
                try:
                    message = loads(frame)
                    event = message["event"]
                except (ValueError, TypeError, KeyError):
                    self._bad_frame("twilio", "not a Twilio message")
                    continue
                if event == "media":
                    media = message.get("media")
                    payload = media.get("payload") if type(media) is dict else None
                    if type(payload) is not str or not tw.is_base64(payload):
                        self._bad_frame("twilio", "bad media payload")
                        continue
                    if self._ready:
                        upstream = self.link.ws
                        text = rt.append_audio(payload)
                        if not write_now(upstream, text):
                            try:
                                await upstream.send(text)
                            except ConnectionClosed:
                                self._ready = False  # the Realtime reader reconnects
                elif event == "mark":
                    try:
                        self.state.playout.acked(tw.mark_name(message))
                    except tw.TwilioProtocolError:
                        self._bad_frame("twilio", "bad mark")
                elif event == "dtmf":
                    try:
                        digit = tw.dtmf_digit(message)
                    except tw.TwilioProtocolError:
                        self._bad_frame("twilio", "bad dtmf")
                        continue
                    await self._on_dtmf(digit)
                elif event == "stop":
                    break
                elif event not in ("connected", "start"):
                    self._bad_frame("twilio", f"unknown event {str(event)[:40]}")
        except ConnectionClosed:
            pass
        except Exception:  # noqa: BLE001
            logger.exception("twilio reader failed")
        finally:
            self._caller_left = not self._control_done
            self.ended.set()

    async def _to_twilio(self, text: str) -> None:
        try:
            await self.ws.send(text)
        except ConnectionClosed:
            self.ended.set()

    async def _on_dtmf(self, digit: str) -> None:
        """A keypad press is the caller's input: interrupt the agent and let the model answer it."""
        self.state.touch()
        if not self._ready or self.state.ending:
            return
        try:
            await self._interrupt_playout()
            if self.state.response_active:
                await self.link.send(rt.response_cancel())
            await self.link.send(rt.message("user", f"[The caller pressed {digit} on the keypad]"))
            await self.link.send(rt.response_create())
        except ConnectionClosed:
            self._ready = False

    # ------------------------------------------------------------------ Realtime → Twilio
    async def _realtime_reader(self) -> None:
        while True:
            try:
                await self._pump(self.link.ws)
            except ConnectionClosed:
                pass
            except Exception:  # noqa: BLE001
                logger.exception("realtime reader failed")
            self._ready = False
            if self.ended.is_set() or self.state.ending:
                return
            self._drops += 1
            self.runtime.metrics.count("Reconnects")
            logger.warning("realtime link dropped; reconnecting", extra={"drops": self._drops})
            self.tools.cancel_all()
            await self.link.close()
            if not await self._reconnect():
                if not self.ended.is_set():
                    await self.handoff("ai_unavailable", wait_audio=False)
                return
            self._ready = True

    async def _pump(self, ws) -> None:
        handlers = self._handlers
        async for text in ws:
            if type(text) is not str:
                self._bad_frame("realtime", "binary frame")
                continue
            try:
                event = loads(text)
                kind = event["type"]
            except (ValueError, TypeError, KeyError):
                self._bad_frame("realtime", "not an event")
                continue
            if kind == rt.AUDIO_DELTA:
                await self._on_audio(event)
                continue
            handler = handlers.get(kind)
            if handler is None:
                continue
            try:
                await handler(event)
            except ConnectionClosed:
                raise
            except Exception:  # noqa: BLE001 - one odd event must not end the call
                logger.exception("failed to handle a realtime event", extra={"type": kind})

    async def _on_audio(self, event: dict) -> None:
        item_id = event.get("item_id")
        delta = event.get("delta")
        if type(delta) is not str or type(item_id) is not str or not tw.is_base64(delta):
            self._bad_frame("realtime", "bad audio delta")
            return
        st = self.state
        if item_id in st.suppressed_items:
            return  # late audio of an item the caller interrupted
        self._session_items.add(item_id)
        st.audio_responses.add(event.get("response_id"))
        name = st.playout.sent(item_id, tw.ulaw_bytes(delta))
        out = self.out
        if not write_now(self.ws, out.media(delta), out.mark(name)):
            await self._to_twilio(out.media(delta))
            await self._to_twilio(out.mark(name))

    async def _interrupt_playout(self) -> bool:
        """Barge-in: drop Twilio's buffered agent audio now, then truncate what was not heard."""
        st = self.state
        if not st.playout.audible:
            return False
        interrupted = st.playout.interrupt()
        if not write_now(self.ws, self.out.clear):  # first: every millisecond here is heard
            await self._to_twilio(self.out.clear)
        self.runtime.metrics.count("BargeIns")
        for item_id, played_ms in interrupted:
            st.suppressed_items.add(item_id)
            if item_id in self._session_items:
                await self.link.send(rt.truncate(item_id, played_ms))
        return True

    async def _on_speech_started(self, event: dict) -> None:
        self.state.touch()
        await self._interrupt_playout()

    async def _on_activity(self, event: dict) -> None:
        self.state.touch()

    async def _on_response_created(self, event: dict) -> None:
        self.state.response_active = True
        self.state.response_id = (event.get("response") or {}).get("id")

    async def _on_response_done(self, event: dict) -> None:
        st = self.state
        response = event.get("response") or {}
        st.response_active = False
        st.usage.add(response.get("usage"))
        if response.get("status") == "failed":
            self.runtime.metrics.count("RealtimeErrors")
            logger.warning(
                "response failed", extra={"details": str(response.get("status_details"))[:300]}
            )
        if self._goodbye_requested:
            self._spawn(self._hang_up(), "hang-up")
            return
        response_id = response.get("id")
        if response_id:
            await self.tools.response_done(response_id)
        if self._goodbye_text and not self.tools.busy and not self._goodbye_requested:
            await self._request_goodbye()

    async def _on_function_call(self, event: dict) -> None:
        self.state.touch()
        self.tools.start(
            event.get("response_id") or "",
            event.get("call_id") or "",
            event.get("name") or "",
            event.get("arguments") or "{}",
        )

    async def _on_caller_transcript(self, event: dict) -> None:
        st = self.state
        text = (event.get("transcript") or "").strip()
        st.touch()
        if not text:
            return
        st.history.append(("user", text))
        self.recorder.turn("caller", text)
        if self._escalation and not st.escalation_hinted and not st.ending:
            found = self._escalation.search(text)
            if found:
                st.escalation_hinted = True
                await self.link.send(
                    rt.message(
                        "system",
                        f'The caller said "{found.group(1)}". Acknowledge their concern and '
                        "offer to connect them with a member of the team "
                        "(request_operator_handoff) if they would like that.",
                    )
                )

    async def _on_agent_transcript(self, event: dict) -> None:
        text = (event.get("transcript") or "").strip()
        if text:
            self.state.history.append(("assistant", text))
            self.recorder.turn("agent", text)

    async def _on_error(self, event: dict) -> None:
        self.runtime.metrics.count("RealtimeErrors")
        error = event.get("error") or {}
        logger.warning(
            "realtime error",
            extra={
                "code": error.get("code"),
                "type": error.get("type"),
                "message": str(error.get("message"))[:300],
            },
        )

    # ------------------------------------------------------------------ tools
    def _on_tool_outcome(self, outcome: ToolOutcome) -> None:
        st = self.state
        result = outcome.result
        self.runtime.metrics.tool_latency(outcome.latency_ms)
        self.recorder.tool_call(outcome.name, outcome.arguments, result, outcome.latency_ms)
        st.history.append(("system", f"Tool {outcome.name} returned: {str(result)[:400]}"))
        st.touch()
        if result.get("ok"):
            if outcome.name == "register_customer" and result.get("customer_id"):
                st.context.customer_id = result["customer_id"]
            if outcome.name in OUTCOME_BY_TOOL and st.outcome != "handed_off":
                st.outcome = OUTCOME_BY_TOOL[outcome.name]

    async def _send_tool_output(self, outcome: ToolOutcome) -> None:
        if self._ready:
            await self.link.send(rt.function_output(outcome.call_id, outcome.result))

    async def _on_tool_batch_done(self, response_id: str, outcomes: list[ToolOutcome]) -> None:
        """All tool calls of a response answered: act on handoff / end_call, else one response.create."""
        actions = {o.result.get("action"): o for o in outcomes if o.result.get("ok")}
        if "handoff" in actions:
            reason = actions["handoff"].arguments.get("reason") or "caller asked for a person"
            await self.handoff(str(reason)[:200])
        elif "end_call" in actions:
            self._begin_ending("end_call")
            if response_id in self.state.audio_responses:
                await self._hang_up()  # the goodbye was in this response
            else:
                self._goodbye_text = GOODBYE["end_call"]
                await self._request_goodbye()
        elif self._goodbye_text:
            await self._request_goodbye()
        elif self._ready:
            await self.link.send(rt.response_create())

    # ------------------------------------------------------------------ ending a call
    def _begin_ending(self, reason: str) -> None:
        if not self.state.ending:
            self.state.ending = True
            self._ending_since = time.monotonic()
            logger.info("ending the call", extra={"reason": reason})

    async def _request_goodbye(self) -> None:
        self._goodbye_requested = True
        try:
            await self.link.send(rt.response_create(self._goodbye_text))
        except ConnectionClosed:
            await self._hang_up()

    async def say_goodbye(self, reason: str) -> None:
        """End the call politely: a goodbye from the agent, then hang up once it has played."""
        if self.state.ending:
            return
        self._begin_ending(reason)
        self._goodbye_text = GOODBYE[reason]
        if not self.state.response_active and not self.tools.busy:
            await self._request_goodbye()

    async def _hang_up(self) -> None:
        if self._control_done:
            return
        self._control_done = True
        self._begin_ending("hang_up")
        await self.state.playout.wait_drained(self.options.end_call_audio_wait)
        try:
            await asyncio.to_thread(self.runtime.telephony.end_call, self.call_sid)
        except Exception:  # noqa: BLE001
            logger.exception("could not hang up through Twilio")
        self._after_call_control()

    async def handoff(
        self, reason: str, *, wait_audio: bool = True, message: str = DEFAULT_HANDOFF_MESSAGE
    ) -> None:
        """Hand the caller to a person: redirect the live call to `<Dial>` the shop."""
        st = self.state
        if st is None or self._control_done:
            return
        self._control_done = True
        self._begin_ending("handoff")
        st.outcome, st.handoff_reason = "handed_off", reason
        self.runtime.metrics.count("Handoffs")
        logger.info("handing off to a person", extra={"reason": reason})
        if wait_audio:
            await st.playout.wait_drained(self.options.handoff_audio_wait)
        phone = self.brief.shop_phone if self.brief else None
        try:
            if not phone:
                raise RuntimeError("no shop phone to hand off to")
            await asyncio.to_thread(
                self.runtime.telephony.redirect_call, self.call_sid, handoff_twiml(phone, message)
            )
        except Exception:  # noqa: BLE001 - no silent dead end: hang up instead
            logger.exception("handoff failed; hanging up")
            try:
                await asyncio.to_thread(self.runtime.telephony.end_call, self.call_sid)
            except Exception:  # noqa: BLE001
                logger.exception("could not hang up either")
        self._after_call_control()

    def _after_call_control(self) -> None:
        """Twilio now owns the call; it closes the stream. Close it ourselves if it does not."""
        self._ready = False

        async def close_later():
            try:
                await asyncio.wait_for(self.ended.wait(), 5)
            except TimeoutError:
                self.ended.set()

        self._spawn(close_later(), "close-later")

    async def _watchdog(self) -> None:
        agent = self.brief.settings
        st = self.state
        while not self.ended.is_set():
            await asyncio.sleep(self.options.watchdog_interval)
            now = time.monotonic()
            if st.ending:
                if (
                    not self._control_done
                    and self._ending_since is not None
                    and now - self._ending_since > self.options.goodbye_timeout
                ):
                    await self._hang_up()
                continue
            if now - st.started_at >= agent.max_call_seconds:
                await self.say_goodbye("max_call_length")
            elif (
                not st.playout.audible
                and not st.response_active
                and not self.tools.busy
                and now - max(st.last_activity, st.playout.last_played_at)
                >= agent.silence_timeout_seconds
            ):
                await self.say_goodbye("silence")

    # ------------------------------------------------------------------ Realtime link
    async def _reconnect(self) -> bool:
        """Replace a dropped link and restore the conversation; False means hand off instead.

        Short timeouts here: the caller is waiting in silence. A link that keeps dropping is
        not worth more attempts than one drop's worth.
        """
        if self._drops > self.options.reconnect_tries:
            return False
        link = await self._connect(min(self.options.realtime_open_timeout, 2.0))
        if link is None:
            return False
        self.link = link
        try:
            await self._restore()
        except ConnectionClosed:
            return False
        return True

    async def _connect(self, open_timeout: float) -> rt.RealtimeLink | None:
        """Open the Realtime link, retrying with backoff (at most `reconnect_tries` attempts)."""
        settings = self.runtime.settings
        url = rt.realtime_url(settings.realtime_url, self.brief.model)
        delay = self.options.reconnect_backoff
        for attempt in range(1, self.options.reconnect_tries + 1):
            if self.ended.is_set():
                return None
            try:
                return await rt.RealtimeLink(
                    url,
                    self.runtime.api_key,
                    max_size=self.options.max_realtime_frame,
                    open_timeout=open_timeout,
                ).open()
            except Exception as error:  # noqa: BLE001
                self.runtime.metrics.count("RealtimeErrors")
                logger.warning(
                    "realtime connect failed",
                    extra={"attempt": attempt, "error": repr(error)[:200]},
                )
            if attempt < self.options.reconnect_tries:
                await asyncio.sleep(delay)
                delay *= 2
        return None

    async def _restore(self) -> None:
        """A new Realtime session: same configuration, the conversation so far, then carry on."""
        self._session_items = set()
        self.state.response_active = False
        await self.link.send(self._session_event)
        for role, text in self.state.history[-60:]:
            await self.link.send(rt.message(role, text))
        await self.link.send(rt.message("system", RECONNECTED))
        await self.link.send(rt.response_create())
