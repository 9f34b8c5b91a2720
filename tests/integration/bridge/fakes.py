"""Test doubles for the bridge's neighbours, over real WebSockets on 127.0.0.1.

- `FakeRealtime`: a Realtime server that validates EVERY event the bridge sends against
  `openai.types.realtime` (client events) and only ever sends events that validate as server
  events. A bridge that sent something OpenAI would reject fails the test.
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

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from pitstop.stream_token import issue_token
from pitstop_local.realtime_contract import validate_client_event, validate_server_event

TIMEOUT = 5.0


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
    def error(message: str, code: str | None = None, kind: str = "invalid_request_error") -> dict:
        return {
            "type": "error",
            "event_id": _eid(),
            "error": {"type": kind, "code": code, "message": message},
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


class RealtimeConn:
    """One bridge → Realtime connection as the fake server sees it."""

    def __init__(self, ws, server: FakeRealtime):
        self.ws = ws
        self.server = server
        self.received = Inbox()
        self.closed = asyncio.Event()
        self.path = ws.request.path
        self.headers = ws.request.headers

    async def send(self, event: dict) -> None:
        validate_server_event(event)  # we never send anything OpenAI would not
        await self.ws.send(json.dumps(event))

    async def drop(self) -> None:
        """Kill the TCP connection without a closing handshake (a network drop)."""
        self.ws.transport.abort()
        await self.closed.wait()


class FakeRealtime:
    """A Realtime server; `connections` queues each new bridge connection."""

    def __init__(self, on_connect: Callable[[RealtimeConn], None] | None = None):
        self.connections: asyncio.Queue[RealtimeConn] = asyncio.Queue()
        self.all: list[RealtimeConn] = []
        self.violations: list[str] = []
        self.refuse = 0  # refuse this many connection attempts (HTTP 503)
        self._server = None

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

    def _gate(self, connection, request):
        if self.refuse > 0:
            self.refuse -= 1
            return connection.respond(503, "unavailable\n")
        return None

    async def _handle(self, ws) -> None:
        conn = RealtimeConn(ws, self)
        self.all.append(conn)
        await self.connections.put(conn)
        await conn.send(RealtimeEvents.session_created())
        try:
            async for text in ws:
                event = json.loads(text)
                try:
                    validate_client_event(event)
                except Exception as error:  # noqa: BLE001
                    self.violations.append(f"{event.get('type')}: {error}")
                await conn.received.add(event)
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
    ):
        self.url = url
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.params = {
            "direction": direction,
            "customer_number": customer_number,
            "customer_id": customer_id,
            "shop_id": "demo",
            "appointment_id": appointment_id,
            "token": token if token is not None else issue_token(self.call_sid, direction, key),
        }
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
        await self.ws.send(json.dumps(message))

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
