"""Test doubles for the bridge's neighbours, over real WebSockets on 127.0.0.1.

- `FakeRealtime`: a Realtime server that validates EVERY event the bridge sends against
  `openai.types.realtime` (client events), only ever sends events that validate as server
  events, and keeps the GA server's rules (see `RealtimeConn`): a bridge that sent something
  OpenAI would reject, or at a moment OpenAI would reject it, fails the test.
- `FakeTwilio`: a Media Streams client that sends what Twilio sends and records what it gets.
- `FakeTelephony`, `FakeTools`: record the bridge's REST and tools calls.

Waiting is always on a condition with a timeout, never on a sleep.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from pitstop.dal.calls import CallRepository
from pitstop.models import CallDirection, CallRecord, CallStatus
from pitstop.stream_token import StreamGrant, issue_token, new_grant
from pitstop_local.realtime_contract import validate_client_event, validate_server_event

TIMEOUT = 5.0
COMPACT = (",", ":")  # JSON as the real services write it: the bridge's hot path expects it


def _of_kind(kind: str) -> Callable[[dict], bool]:
    """Matches a Realtime event by `type` or a Twilio message by `event`."""

    def matches(message: dict) -> bool:
        return message.get("type", message.get("event")) == kind

    return matches


class Inbox:
    """Messages received, in order; `take(pred)` waits for the next unconsumed match."""

    def __init__(self):
        self.items: list[dict] = []
        self._taken: set[int] = set()
        self._changed = asyncio.Condition()

    async def add(self, item: dict) -> None:
        async with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    async def take(
        self,
        pred: Callable[[dict], bool] | str,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 - a bound per wait: a stuck bridge fails fast
    ) -> dict:
        if isinstance(pred, str):
            pred = _of_kind(pred)

        async def find():
            async with self._changed:
                while True:
                    for index, item in enumerate(self.items):
                        if index not in self._taken and pred(item):
                            self._taken.add(index)
                            return item
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    def of(self, kind: str) -> list[dict]:
        return [m for m in self.items if m.get("type", m.get("event")) == kind]


# ---------------------------------------------------------------------------- Realtime
def _eid() -> str:
    return "event_" + uuid.uuid4().hex[:12]


def ulaw_frame(seed: int, nbytes: int = 160) -> str:
    """A distinct base64 μ-law frame (20 ms at 8 kHz by default)."""
    raw = bytes((seed * 7 + i) % 256 for i in range(nbytes))
    return base64.b64encode(raw).decode()


class RealtimeEvents:
    """Server events with every required field, so they pass `validate_server_event`."""

    @staticmethod
    def session_created() -> dict:
        return {
            "type": "session.created",
            "event_id": _eid(),
            "session": {"type": "realtime", "id": "sess_1", "object": "realtime.session"},
        }

    @staticmethod
    def response_created(response_id: str) -> dict:
        return {
            "type": "response.created",
            "event_id": _eid(),
            "response": {
                "id": response_id,
                "object": "realtime.response",
                "status": "in_progress",
                "output": [],
            },
        }

    @staticmethod
    def audio_delta(response_id: str, item_id: str, payload: str) -> dict:
        return {
            "type": "response.output_audio.delta",
            "event_id": _eid(),
            "response_id": response_id,
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": payload,
        }

    @staticmethod
    def speech_started(item_id: str = "item_user", audio_start_ms: int = 0) -> dict:
        return {
            "type": "input_audio_buffer.speech_started",
            "event_id": _eid(),
            "item_id": item_id,
            "audio_start_ms": audio_start_ms,
        }

    @staticmethod
    def function_call_done(response_id: str, call_id: str, name: str, arguments: dict) -> dict:
        return {
            "type": "response.function_call_arguments.done",
            "event_id": _eid(),
            "response_id": response_id,
            "item_id": "item_" + call_id,
            "output_index": 0,
            "call_id": call_id,
            "name": name,
            "arguments": json.dumps(arguments),
        }

    @staticmethod
    def response_done(
        response_id: str, usage: dict | None = None, status: str = "completed"
    ) -> dict:
        response = {
            "id": response_id,
            "object": "realtime.response",
            "status": status,
            "output": [],
        }
        if usage is not None:
            response["usage"] = usage
        return {"type": "response.done", "event_id": _eid(), "response": response}

    @staticmethod
    def error(
        message: str,
        code: str | None = None,
        kind: str = "invalid_request_error",
        *,
        param: str | None = None,
        client_event_id: str | None = None,
    ) -> dict:
        return {
            "type": "error",
            "event_id": _eid(),
            "error": {
                "type": kind,
                "code": code,
                "message": message,
                "param": param,
                "event_id": client_event_id,
            },
        }

    @staticmethod
    def function_item_done(
        response_id: str, call_id: str, name: str, arguments: dict, status: str = "completed"
    ) -> dict:
        return {
            "type": "response.output_item.done",
            "event_id": _eid(),
            "response_id": response_id,
            "output_index": 0,
            "item": {
                "id": "item_" + call_id,
                "type": "function_call",
                "object": "realtime.item",
                "status": status,
                "call_id": call_id,
                "name": name,
                "arguments": json.dumps(arguments),
            },
        }

    @staticmethod
    def committed(item_id: str, previous_item_id: str | None = None) -> dict:
        return {
            "type": "input_audio_buffer.committed",
            "event_id": _eid(),
            "item_id": item_id,
            "previous_item_id": previous_item_id,
        }

    @staticmethod
    def rate_limits(remaining: int, reset_seconds: float) -> dict:
        return {
            "type": "rate_limits.updated",
            "event_id": _eid(),
            "rate_limits": [
                {"name": "requests", "limit": 1000, "remaining": 1000, "reset_seconds": 0.0},
                {
                    "name": "tokens",
                    "limit": 40000,
                    "remaining": remaining,
                    "reset_seconds": reset_seconds,
                },
            ],
        }

    @staticmethod
    def caller_transcript(item_id: str, text: str) -> dict:
        return {
            "type": "conversation.item.input_audio_transcription.completed",
            "event_id": _eid(),
            "item_id": item_id,
            "content_index": 0,
            "transcript": text,
            "usage": {"type": "duration", "seconds": 1.0},
        }

    @staticmethod
    def agent_transcript_delta(response_id: str, item_id: str, delta: str) -> dict:
        return {
            "type": "response.output_audio_transcript.delta",
            "event_id": _eid(),
            "response_id": response_id,
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": delta,
        }

    @staticmethod
    def agent_transcript(response_id: str, item_id: str, text: str) -> dict:
        return {
            "type": "response.output_audio_transcript.done",
            "event_id": _eid(),
            "response_id": response_id,
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "transcript": text,
        }


ACTIVE_RESPONSE = (
    "Conversation already has an active response in progress: {rid}. Wait until the response is "
    "finished before creating a new one."
)


def session_echo(asked: dict, *, pcm24k: bool = False) -> dict:
    """`session.updated` as GA sends it: the session applied (the asked one, or PCM at 24 kHz
    where a partly applied update left the default formats)."""
    session = json.loads(json.dumps(asked))
    session["model"] = "gpt-realtime"
    if pcm24k:
        for side in ("input", "output"):
            session.setdefault("audio", {}).setdefault(side, {})["format"] = {
                "type": "audio/pcm",
                "rate": 24000,
            }
    return {"type": "session.updated", "event_id": _eid(), "session": session}


class RealtimeConn:
    """One bridge → Realtime connection as the fake server sees it.

    It keeps the server's rules: `session.update` is answered (`session.updated`, or as the
    server's `session_mode` says), one response at a time (a `response.create` during one gets
    the real `conversation_already_has_active_response` error), and a cancelled response stays
    active until its `response.done`, which comes `cancel_latency` later, after the
    `function_call_arguments.done` of any call it was generating (as the real server does).
    """

    def __init__(self, ws, server: FakeRealtime):
        self.ws = ws
        self.server = server
        self.received = Inbox()
        self.responses = Inbox()  # {"id": …} of each response the server started on request
        self.rejected: list[dict] = []  # creates refused: the error events sent for them
        self.closed = asyncio.Event()
        self.path = ws.request.path
        self.headers = ws.request.headers
        self.active: str | None = None
        self.calls: dict[str, list[tuple[str, str, dict]]] = {}  # response → calls in progress
        self._count = 0
        self._tasks: set[asyncio.Task] = set()

    async def send(self, event: dict) -> None:
        validate_server_event(event)  # we never send anything OpenAI would not
        kind = event["type"]
        if kind == "response.created":
            if self.active is not None:
                self.server.violations.append(f"two active responses: {self.active}")
            self.active = event["response"]["id"]
        elif kind == "response.done" and event["response"]["id"] == self.active:
            self.active = None
        await self.ws.send(json.dumps(event, separators=COMPACT))  # as the real server writes

    async def send_raw(self, data) -> None:
        """A frame the contract does not know (a future event type, garbage)."""
        await self.ws.send(data)

    async def finish(self, status: str = "completed", output: list | None = None) -> str:
        """The active response ends with `status`; returns its id."""
        response_id = self.active
        assert response_id is not None, "no active response"
        done = RealtimeEvents.response_done(response_id, status=status)
        if output is not None:
            done["response"]["output"] = output
        await self.send(done)
        return response_id

    async def next_response(self) -> str:
        """The id of the next response the server started for a `response.create`."""
        return (await self.responses.take(lambda r: True))["id"]

    async def drop(self) -> None:
        """Kill the TCP connection without a closing handshake (a network drop)."""
        self.ws.transport.abort()
        await self.closed.wait()

    async def answer(self, event: dict) -> None:
        """What the real server does on its own when it receives `event`."""
        mode = self.server.session_mode
        if mode == "silent":
            return
        kind = event.get("type")
        if kind == "session.update":
            await self._session_update(event, mode)
        elif kind == "response.create":
            await self._response_create(event)
        elif kind == "response.cancel":
            await self._response_cancel(event)

    async def _session_update(self, event: dict, mode: str) -> None:
        if mode == "reject" or (mode == "reject_full" and "voice" in json.dumps(event)):
            await self.send(
                RealtimeEvents.error(
                    "Unknown parameter: 'session.audio.output.speed_factor'.",
                    code="unknown_parameter",
                    param="session.audio.output.speed_factor",
                    client_event_id=event.get("event_id"),
                )
            )
        else:
            await self.send(session_echo(event["session"], pcm24k=mode == "pcm24k"))

    async def _response_create(self, event: dict) -> None:
        if self.active is not None:
            error = RealtimeEvents.error(
                ACTIVE_RESPONSE.format(rid=self.active),
                code="conversation_already_has_active_response",
                client_event_id=event.get("event_id"),
            )
            self.rejected.append(error)
            await self.send(error)
            return
        self._count += 1
        response_id = f"resp_auto{self._count}"
        await self.send(RealtimeEvents.response_created(response_id))
        await self.responses.add({"id": response_id})

    async def _response_cancel(self, event: dict) -> None:
        if self.active is None:
            await self.send(
                RealtimeEvents.error(
                    "Cancellation failed: no active response found",
                    code="response_cancel_not_active",
                    client_event_id=event.get("event_id"),
                )
            )
            return
        task = asyncio.create_task(self._cancelled(self.active))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cancelled(self, response_id: str) -> None:
        await asyncio.sleep(self.server.cancel_latency)  # the server's latency, not a wait
        for call_id, name, arguments in self.calls.pop(response_id, []):
            await self.send(
                RealtimeEvents.function_call_done(response_id, call_id, name, arguments)
            )
            await self.send(
                RealtimeEvents.function_item_done(
                    response_id, call_id, name, arguments, "incomplete"
                )
            )
        done = RealtimeEvents.response_done(response_id, status="cancelled")
        done["response"]["status_details"] = {"type": "cancelled", "reason": "client_cancelled"}
        await self.send(done)


class FakeRealtime:
    """A Realtime server; `connections` queues each new bridge connection.

    `session_mode`: "echo" (as GA: `session.updated`), "pcm24k" (the echo shows the default
    PCM formats: a partly applied update), "reject" (an `error` for every update),
    "reject_full" (an `error` for the full update, the minimal one applies), "silent" (accepts
    the connection, then says nothing at all). `hang` makes every handshake hang; `refuse` /
    `refuse_status` / `retry_after` refuse that many connections.
    """

    def __init__(self):
        self.connections: asyncio.Queue[RealtimeConn] = asyncio.Queue()
        self.all: list[RealtimeConn] = []
        self.violations: list[str] = []
        self.refuse = 0  # refuse this many connection attempts (HTTP refuse_status)
        self.refuse_status = 503
        self.retry_after: str | None = None
        self.session_mode = "echo"
        self.cancel_latency = 0.1
        self.hang = False
        self.attempts = 0
        self.paths: list[str] = []  # each handshake's path (its `?model=`)
        self._server = None
        self._never = asyncio.Event()

    async def start(self) -> FakeRealtime:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._gate,
            compression=None,
            max_size=None,
        )
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/v1/realtime"

    async def _gate(self, connection, request):
        self.attempts += 1
        self.paths.append(request.path)
        if self.hang:
            await self._never.wait()  # a handshake that never completes
        if self.refuse > 0:
            self.refuse -= 1
            response = connection.respond(self.refuse_status, "unavailable\n")
            if self.retry_after is not None:
                response.headers["Retry-After"] = self.retry_after
            return response
        return None

    async def _handle(self, ws) -> None:
        conn = RealtimeConn(ws, self)
        self.all.append(conn)
        await self.connections.put(conn)
        if self.session_mode != "silent":
            await conn.send(RealtimeEvents.session_created())
        try:
            async for text in ws:
                event = json.loads(text)
                try:
                    validate_client_event(event)
                except Exception as error:  # noqa: BLE001
                    self.violations.append(f"{event.get('type')}: {error}")
                await conn.received.add(event)
                await conn.answer(event)
        except ConnectionClosed:
            pass  # the bridge dropped or closed the link: that is what some tests do
        finally:
            conn.closed.set()

    async def next_connection(
        self,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 - a bound per wait: a stuck bridge fails fast
    ) -> RealtimeConn:
        return await asyncio.wait_for(self.connections.get(), timeout)

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


# ---------------------------------------------------------------------------- Twilio
def webhook_answer(calls: CallRepository, call_sid: str, params: dict[str, str]) -> StreamGrant:
    """What `/voice` records before Twilio opens the stream: the call's context and the one
    stream grant it issued (`CallRepository.open_stream`, as the webhook calls it)."""
    now = datetime.now(UTC)
    grant = new_grant(now=now.timestamp())
    calls.open_stream(
        CallRecord(
            call_sid=call_sid,
            direction=CallDirection(params["direction"]),
            customer_number=params["customer_number"],
            customer_id=params["customer_id"] or None,
            appointment_id=params["appointment_id"] or None,
            shop_id=params["shop_id"],
            status=CallStatus.IN_PROGRESS,
            started_at=now,
            stream_token_id=grant.token_id,
            stream_token_expires=grant.expires,
        ),
        now,
    )
    return grant


class FakeTwilio:
    """A Twilio Media Streams client for one call."""

    def __init__(
        self,
        url: str,
        call_sid: str | None = None,
        *,
        direction: str = "inbound",
        customer_number: str = "+15551230001",
        customer_id: str = "",
        appointment_id: str = "",
        token: str | None = None,
        key: str = "pitstop-dev-stream-key",
        calls: CallRepository | None = None,
    ):
        """With `calls`, the call is answered first as the webhook answers it (its context and
        stream grant on the call record, the token for that grant in the parameters); without,
        the token is signed but no record knows it."""
        self.url = url
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.params = {
            "direction": direction,
            "customer_number": customer_number,
            "customer_id": customer_id,
            "shop_id": "demo",
            "appointment_id": appointment_id,
        }
        if token is None:
            grant = webhook_answer(calls, self.call_sid, self.params) if calls else None
            token = issue_token(self.call_sid, direction, key, grant=grant)
        self.params["token"] = token
        self.received = Inbox()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.ws = None
        self._reader: asyncio.Task | None = None
        self._chunk = 0

    async def open(self, start: bool = True) -> FakeTwilio:
        self.ws = await connect(self.url, compression=None)
        self._reader = asyncio.create_task(self._read())
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        if start:
            await self.send(
                {
                    "event": "start",
                    "sequenceNumber": "1",
                    "streamSid": self.stream_sid,
                    "start": {
                        "streamSid": self.stream_sid,
                        "accountSid": "AC" + "0" * 32,
                        "callSid": self.call_sid,
                        "tracks": ["inbound"],
                        "customParameters": self.params,
                        "mediaFormat": {
                            "encoding": "audio/x-mulaw",
                            "sampleRate": 8000,
                            "channels": 1,
                        },
                    },
                }
            )
        return self

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                await self.received.add(json.loads(text))
        except ConnectionClosed:
            pass  # the bridge closed the stream; close_code says how
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message, separators=COMPACT))  # as Twilio writes

    async def send_raw(self, data) -> None:
        await self.ws.send(data)

    async def media(self, payload: str) -> None:
        self._chunk += 1
        await self.send(
            {
                "event": "media",
                "sequenceNumber": str(self._chunk + 1),
                "streamSid": self.stream_sid,
                "media": {
                    "track": "inbound",
                    "chunk": str(self._chunk),
                    "timestamp": str(self._chunk * 20),
                    "payload": payload,
                },
            }
        )

    async def ack_mark(self, name: str) -> None:
        await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})

    async def dtmf(self, digit: str) -> None:
        await self.send(
            {
                "event": "dtmf",
                "streamSid": self.stream_sid,
                "dtmf": {"track": "inbound_track", "digit": digit},
            }
        )

    async def stop(self) -> None:
        await self.send(
            {
                "event": "stop",
                "streamSid": self.stream_sid,
                "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid},
            }
        )

    async def wait_closed(
        self,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 - a bound per wait: a stuck bridge fails fast
    ) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, TIMEOUT)


# ---------------------------------------------------------------------------- REST and tools
class FakeTelephony:
    """Records redirect/hang-up requests (called from worker threads, awaited from tests)."""

    def __init__(self):
        self.calls: list[tuple] = []
        self._changed = threading.Condition()

    def _record(self, *entry) -> None:
        with self._changed:
            self.calls.append(entry)
            self._changed.notify_all()

    def send_sms(self, to: str, body: str) -> str:
        self._record("sms", to, body)
        return "SM1"

    def redirect_call(self, call_sid: str, twiml: str) -> None:
        self._record("redirect", call_sid, twiml)

    def end_call(self, call_sid: str) -> None:
        self._record("end_call", call_sid)

    def create_call(self, to, url, status_callback, machine_detection=True) -> str:
        self._record("create_call", to)
        return "CA1"

    def _find(self, kind: str, call_sid: str | None, timeout: float):
        def match():
            return next(
                (c for c in self.calls if c[0] == kind and (call_sid is None or c[1] == call_sid)),
                None,
            )

        with self._changed:
            self._changed.wait_for(match, timeout)
            return match()

    async def wait_for(
        self,
        kind: str,
        call_sid: str | None = None,
        timeout: float = TIMEOUT,  # noqa: ASYNC109 - waits in a thread, which no cancel scope stops
    ):
        found = await asyncio.to_thread(self._find, kind, call_sid, timeout)
        assert found is not None, f"no {kind} for {call_sid}; got {self.calls}"
        return found


TOOL_DEFINITIONS = [
    {
        "type": "function",
        "name": name,
        "description": f"{name} (test)",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": True},
    }
    for name in ("lookup_customer", "check_availability", "request_operator_handoff", "end_call")
]


class FakeTools:
    """A ToolsClient whose results the test scripts: {name: async fn(arguments) -> result}."""

    def __init__(self, handlers: dict | None = None):
        self.handlers = handlers or {}
        self.calls: list[tuple[str, dict, dict]] = []

    async def definitions(self) -> list[dict]:
        return TOOL_DEFINITIONS

    async def call(self, name: str, arguments: dict, context: dict) -> dict:
        self.calls.append((name, arguments, context))
        handler = self.handlers.get(name)
        if handler is None:
            if name == "request_operator_handoff":
                return {"ok": True, "action": "handoff"}
            if name == "end_call":
                return {"ok": True, "action": "end_call"}
            return {"ok": True}
        return await handler(arguments)

    async def aclose(self) -> None:
        pass
