"""The bridge server: `/media-stream` WebSockets (one task per call) and `GET /health`.

`Bridge` is the in-process API (tests, `pitstop dev`); `python -m media_bridge` wraps it with
signal handling. Streams beyond `max_streams`, or beyond `max_pending` not yet started, are
refused with HTTP 503 at the handshake (1013 "try again later" if they raced past it).
Draining (SIGTERM): health turns 503 so the load balancer stops sending new streams, new
streams are refused, live calls may finish until the deadline, and whatever is still live
then is handed to a person rather than cut off.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from picows import WSUpgradeRequest, WSUpgradeResponseWithListener

from media_bridge import ws
from media_bridge.call import MediaStream
from media_bridge.config import BridgeOptions
from media_bridge.observability import BridgeMetrics, logger
from media_bridge.runtime import Runtime
from media_bridge.tools_client import HttpToolsClient, ToolsClient
from pitstop.config import Settings, get_settings
from pitstop.dal.heartbeats import BEAT_INTERVAL
from pitstop.secrets import openai_api_key, stream_token_key
from pitstop.telephony import Telephony, telephony_for

if TYPE_CHECKING:
    from pitstop.dal import Crm


class _Unset(Enum):
    """A default meaning "build the usual one" where None already means "none at all"."""

    UNSET = "unset"


_UNSET: Literal[_Unset.UNSET] = _Unset.UNSET
_AFTER_DRAIN_HANDOFFS = 15.0  # seconds for handed-off calls to close after the drain deadline


def _json_response(status: int, body: dict[str, Any]) -> WSUpgradeResponseWithListener:
    return ws.http_response(status, json.dumps(body).encode())


class Bridge:
    """The media bridge in this process. `await Bridge(settings).start(host, port)`."""

    def __init__(
        self,
        settings: Settings | None = None,
        options: BridgeOptions | None = None,
        *,
        tools: ToolsClient | None = None,
        telephony: Telephony | None = None,
        crm: Crm | Literal[_Unset.UNSET] | None = _UNSET,
        api_key: str | Literal[_Unset.UNSET] | None = _UNSET,
        stream_key: Callable[[], str] | None = None,
    ):
        settings = settings or get_settings()
        options = options or BridgeOptions()
        if crm is _UNSET:
            from pitstop.dal import Crm

            crm = Crm(settings)
        self.runtime = Runtime(
            settings=settings,
            options=options,
            tools=tools or HttpToolsClient.from_settings(settings, timeout=options.tool_timeout),
            telephony=telephony or telephony_for(settings),
            crm=crm,
            api_key=openai_api_key() if api_key is _UNSET else api_key,
            stream_key=stream_key or stream_token_key,
            metrics=BridgeMetrics(),
        )
        self.streams: set[MediaStream] = set()  # open media streams, started calls or not
        self.draining = False
        self._calls_changed = asyncio.Condition()
        self._server: asyncio.Server | None = None
        self._sockets: set[ws.WebSocket] = set()  # every open media-stream socket
        self._handlers: set[asyncio.Task[None]] = set()
        self._metrics_task: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        # One item per process in the heartbeat partition (a Fargate task runs one process).
        self.task_id = f"{socket.gethostname()}-{os.getpid()}"
        self._host = "127.0.0.1"

    # --------------------------------------------------------------- public API
    @property
    def live_calls(self) -> int:
        return len(self.streams)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the bridge is not listening: await start() first")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """The media stream URL on this host, e.g. ws://127.0.0.1:8765/media-stream."""
        return f"ws://{self._host}:{self.port}{self.runtime.options.path}"

    @property
    def health_url(self) -> str:
        return f"http://{self._host}:{self.port}/health"

    async def start(self, host: str = "127.0.0.1", port: int | None = None) -> Bridge:
        """Listen on host:port (port None → settings.bridge_port; 0 → any free port)."""
        self._host = host
        port = self.runtime.settings.bridge_port if port is None else port
        self._server = await ws.serve(
            self._route, host, port, max_size=self.runtime.options.max_twilio_frame
        )
        self._metrics_task = asyncio.create_task(self._flush_metrics())
        if self.runtime.crm is not None:
            self._heartbeat_task = asyncio.create_task(self._beat(self.runtime.crm))
        logger.info("bridge listening", extra={"host": host, "port": self.port})
        return self

    async def wait_live_calls(self, count: int = 0) -> None:
        """Wait until at most `count` calls are live (their records written, sockets closed).

        Unbounded: bound it with `asyncio.timeout` where a caller cannot wait for ever.
        """
        async with self._calls_changed:
            await self._calls_changed.wait_for(lambda: len(self.streams) <= count)

    async def wait_call_finished(self, call_sid: str) -> None:
        """Wait until the bridge is done with `call_sid`: record, outcome and transcript written."""
        async with self._calls_changed:
            await self._calls_changed.wait_for(
                lambda: all(s.call_sid != call_sid for s in self.streams)
            )

    async def drain(self, deadline_seconds: float | None = None) -> None:
        """Stop taking calls, let live ones finish until the deadline, then hand the rest off."""
        deadline = (
            self.runtime.options.drain_seconds if deadline_seconds is None else deadline_seconds
        )
        self.draining = True
        logger.info("draining", extra={"live_calls": self.live_calls, "deadline_seconds": deadline})
        try:
            async with asyncio.timeout(deadline):
                await self.wait_live_calls(0)
            return
        except TimeoutError:
            pass
        remaining = list(self.streams)
        logger.warning(
            "drain deadline reached; handing calls to a person",
            extra={"live_calls": len(remaining)},
        )
        await asyncio.gather(
            *(s.handoff("bridge_shutdown", wait_audio=False) for s in remaining),
            return_exceptions=True,
        )
        try:  # Twilio closes each redirected stream; the calls close it themselves after 5 s
            async with asyncio.timeout(_AFTER_DRAIN_HANDOFFS):
                await self.wait_live_calls(0)
        except TimeoutError:
            logger.error("calls still open after the drain", extra={"live_calls": self.live_calls})

    async def stop(self) -> None:
        """Close the listener and every remaining connection (`drain` first for a clean stop)."""
        if self._server is not None:
            self._server.close()
            await asyncio.gather(*(s.close(1001, "going away") for s in list(self._sockets)))
            if self._handlers:  # their calls end with their sockets: records, outcomes
                await asyncio.wait(self._handlers, timeout=_AFTER_DRAIN_HANDOFFS)
            await self._server.wait_closed()
        for task in (self._metrics_task, self._heartbeat_task):
            if task is not None:
                task.cancel()
        self.runtime.metrics.flush(self.live_calls)
        await self.runtime.tools.aclose()

    # --------------------------------------------------------------- internals
    def _route(self, request: WSUpgradeRequest) -> ws.WebSocket | WSUpgradeResponseWithListener:
        """`/health`, or a media stream if there is room for one; anything else is a 404."""
        path = request.path.decode("latin-1").split("?", 1)[0]
        if path == "/health":
            status = 503 if self.draining else 200
            return _json_response(
                status,
                {"status": "draining" if self.draining else "ok", "live_calls": self.live_calls},
            )
        if path != self.runtime.options.path:
            return _json_response(404, {"error": "not found"})
        if self.draining:
            return _json_response(503, {"error": "draining"})
        full = self._over_capacity()
        if full is not None:
            return _json_response(503, {"error": f"too many {full}; try again later"})
        return ws.WebSocket(self.runtime.options.max_twilio_frame, on_open=self._opened)

    def _over_capacity(self) -> str | None:
        """What is full, if a new stream must be refused (None: there is room).

        Sockets that have not sent `start` cost nothing to open and hold a slot for up to
        `start_timeout`: they get a cap of their own, so idle sockets cannot crowd out calls."""
        options = self.runtime.options
        full = None
        if len(self.streams) >= options.max_streams:
            full = "streams"
        elif sum(1 for s in self.streams if s.call is None) >= options.max_pending:
            full = "pending streams"
        if full is not None:
            self.runtime.metrics.count("StreamsOverCapacity")
            logger.warning("refused stream: over capacity", extra={"full": full})
        return full

    def _opened(self, conn: ws.WebSocket) -> None:
        """A media stream's upgrade is done: its call runs in a task of its own."""
        task = asyncio.create_task(self._handle(conn), name="media-stream")
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _handle(self, conn: ws.WebSocket) -> None:
        if self._over_capacity() is not None:  # handshakes in flight together passed the check
            await conn.close(1013, "try again later")
            return
        stream = MediaStream(self.runtime, conn)
        self.streams.add(stream)
        self._sockets.add(conn)
        try:
            await stream.run()
        except Exception:
            logger.exception("call session crashed")
        finally:
            self._sockets.discard(conn)
            self.streams.discard(stream)
            async with self._calls_changed:
                self._calls_changed.notify_all()

    async def _beat(self, crm: Crm) -> None:
        """Tell the webhook this process takes calls (`HeartbeatRepository`), every
        `BEAT_INTERVAL`, until it drains: a draining or dead bridge stops beating, and once
        every beat is stale the webhook sends new callers straight to the fallback."""
        while not self.draining:
            try:
                await asyncio.to_thread(crm.heartbeats.beat, self.task_id, datetime.now(UTC))
            except Exception:
                logger.exception("heartbeat write failed")
            await asyncio.sleep(BEAT_INTERVAL.total_seconds())

    async def _flush_metrics(self) -> None:
        while True:
            await asyncio.sleep(self.runtime.options.metrics_interval)
            try:
                self.runtime.metrics.flush(self.live_calls)
            except Exception:
                logger.exception("metrics flush failed")


async def run_bridge(
    settings: Settings | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    **kwargs: Any,
) -> Bridge:
    """Start a bridge in this event loop and return it (kwargs as for `Bridge`)."""
    return await Bridge(settings, **kwargs).start(host, port)
