"""The bridge's WebSockets, both sides, over picows (Cython framing) on the running event loop.

A `WebSocket` is a picows listener that is two things at once; its per-frame half is a `Wire`
(wire.py, compiled). Its `hot` handler runs inside picows' frame callback, synchronously: the
media hot path (caller audio upstream, agent audio to Twilio, Twilio's marks) is one byte
search and one write per frame, with no task wake-up. `hot` gets a text message's payload
undecoded (bytes: it takes only ASCII, which is valid UTF-8) and says whether it took it. Every
other message waits, decoded, in order, for the connection's async reader (`async for message
in ws`), which runs the call's async logic. A message goes to `hot` only when nothing is
waiting and the reader is between messages (it asked for the next one), so the reader and `hot`
see messages in the order they arrived, exactly as one reading task would.

Back-pressure: a write never blocks and never drops. When the socket written to is over its
high-water mark (picows' `pause_writing`), the socket the frame came from stops reading until it
drains (`resume_writing`), so a slow Twilio slows the Realtime link down to the sender and vice
versa. `await send` writes first, then waits for the drain, so frames leave in the order they
were given, whichever path wrote them. Messages waiting for the reader are bounded too: past
`_MAX_QUEUE` the socket stops reading until the reader catches up.

Limits and close codes: a frame or a reassembled message over `max_size` closes with 1009, a
text message that is not UTF-8 with 1007 (picows sends the close, then disconnects).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from ssl import SSLContext
from typing import Any

from picows import (
    WSCloseCode,
    WSFrame,
    WSHandshakeError,
    WSListener,
    WSMsgType,
    WSProtocolError,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_connect,
    ws_create_server,
)

from media_bridge.wire import Hot, Wire

__all__ = [
    "ConnectionClosed",
    "HandshakeRefused",
    "WebSocket",
    "connect",
    "http_response",
    "serve",
]

_MAX_QUEUE = 64  # messages waiting for the reader before the socket stops reading
_RESUME_QUEUE = 16
_CLOSE_TIMEOUT = 5.0  # seconds for the peer to answer our close before the socket is dropped
_TEXT = WSMsgType.TEXT

Message = str | bytes


class ConnectionClosed(Exception):
    """The WebSocket is closed (by either side): nothing more can be sent or received on it."""


class HandshakeRefused(Exception):
    """The server answered the upgrade with an HTTP status (`status`, and its `retry_after`)."""

    def __init__(self, status: int, retry_after: str | None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class WebSocket(WSListener):
    """One WebSocket: `hot` frames handled in picows' callback, the rest for `async for`."""

    __slots__ = (
        "_closed",
        "_drained",
        "_fragments",
        "_fragments_size",
        "_fragments_type",
        "_handler",
        "_max_size",
        "_on_open",
        "_queue",
        "_queue_paused",
        "_read_pauses",
        "_reader_busy",
        "_waiter",
        "close_code",
        "on_ws_frame",
        "transport",
        "wire",
    )

    def __init__(self, max_size: int, on_open: Callable[[WebSocket], None] | None = None):
        self._handler: Hot | None = None  # `hot`; the wire's while a frame may go to it
        self.wire = Wire(self)  # the per-frame half: its state says connected, gone, paused
        # picows calls `on_ws_frame` for each frame: the compiled `Wire.frame`, not a method
        self.on_ws_frame = self.wire.frame  # type: ignore[method-assign]
        self.transport: WSTransport | None = None
        self.close_code: int | None = None  # the code the peer sent, or ours if it sent none
        self._max_size = max_size
        self._on_open = on_open
        self._queue: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._reader_busy = False  # the reader holds a message it has not finished with
        self._fragments: list[bytes] = []
        self._fragments_type = _TEXT
        self._fragments_size = 0
        self._drained: asyncio.Future[None] | None = None
        self._read_pauses = 0
        self._queue_paused = False
        self._closed = asyncio.Event()

    # ------------------------------------------------------------------ picows callbacks
    def on_ws_connected(self, transport: WSTransport) -> None:
        wire = self.wire
        self.transport = wire.link = transport
        wire.gone = False
        if not transport.is_client_side:
            wire.raw = transport.underlying_transport
        if self._on_open is not None:
            self._on_open(self)

    # `on_ws_frame`, each frame: `Wire.frame` gives a whole text message to `hot` when nothing
    # is ahead of it (no message waiting, no fragments, the reader between two: the wire's
    # `hot` is set); what `hot` does not take comes to `to_reader`, anything else here.
    def to_reader(self, payload: bytes) -> None:
        """A text message `hot` did not take: decoded, for the reader."""
        self._enqueue(_utf8(payload))

    def other_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        """A frame `hot` may not have now, a fragment, a close, or a control frame."""
        msg_type = frame.msg_type
        if msg_type is _TEXT and frame.fin and not self._fragments:
            payload = frame.get_payload_as_bytes()
        elif msg_type is WSMsgType.CLOSE:
            self._on_close_frame(transport, frame)
            return
        elif msg_type in (_TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            whole = self._fragment(frame)
            if whole is None:
                return
            payload = whole
        else:
            return
        hot = self.wire.hot
        if hot is None or not hot(payload):
            self._enqueue(_utf8(payload))

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        handshake = transport.close_handshake
        if handshake is not None and self.close_code is None:
            info = handshake.recv or handshake.sent
            self.close_code = info.code.value if info is not None else None
        self.wire.gone = True
        self._closed.set()
        self._wake()
        self._release()

    def pause_writing(self) -> None:
        self.wire.write_paused = True

    def resume_writing(self) -> None:
        self.wire.write_paused = False
        self._release()

    # ------------------------------------------------------------------ receiving
    def _fragment(self, frame: WSFrame) -> bytes | None:
        """A fragment of a message (RFC 6455 5.4), collected until its last one, bounded. The
        whole text message once it is complete; None meanwhile (a binary one goes to the
        reader as it is)."""
        if frame.msg_type is not WSMsgType.CONTINUATION:
            if self._fragments:
                raise WSProtocolError(WSCloseCode.PROTOCOL_ERROR, "new message inside another")
            self._fragments_type = frame.msg_type
        elif not self._fragments:
            raise WSProtocolError(WSCloseCode.PROTOCOL_ERROR, "continuation of nothing")
        self._fragments_size += frame.payload_size
        if self._fragments_size > self._max_size:
            raise WSProtocolError(WSCloseCode.MESSAGE_TOO_BIG, "message too big")
        self._fragments.append(frame.get_payload_as_bytes())
        if not frame.fin:
            self.wire.hot = None
            return None
        whole = b"".join(self._fragments)
        self._fragments, self._fragments_size = [], 0
        self._refresh()
        if self._fragments_type is _TEXT:
            return whole
        self._enqueue(whole)
        return None

    def _enqueue(self, message: Message) -> None:
        self._queue.append(message)
        self.wire.hot = None
        self._wake()
        if len(self._queue) >= _MAX_QUEUE and not self._queue_paused:
            self._queue_paused = True
            self.pause_reading()

    @property
    def hot(self) -> Hot | None:
        """Takes text messages in picows' frame callback (see the module's docstring)."""
        return self._handler

    @hot.setter
    def hot(self, handler: Hot | None) -> None:
        self._handler = handler
        self._refresh()

    def _refresh(self) -> None:
        """The wire's `hot` is `hot` when nothing is ahead of the next frame: no message
        waiting, no message in fragments, the reader not in the middle of one."""
        ahead = self._queue or self._fragments or self._reader_busy
        self.wire.hot = None if ahead else self._handler

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_close_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        """The peer closes: answer with its code (1000 if it gave none) and hang up."""
        code = frame.get_close_code()
        self.close_code = code.value if code is not WSCloseCode.NO_INFO else None
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode.OK if self.close_code is None else code)
        transport.disconnect()

    def __aiter__(self) -> WebSocket:
        return self

    async def __anext__(self) -> Message:
        try:
            return await self.recv()
        except ConnectionClosed:
            raise StopAsyncIteration from None

    async def recv(self) -> Message:
        """The next message that `hot` did not take; `ConnectionClosed` once there is none."""
        self._reader_busy = False
        self._refresh()
        while not self._queue:
            if self.wire.gone:
                raise ConnectionClosed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        message = self._queue.popleft()
        self._reader_busy = True
        self.wire.hot = None
        if self._queue_paused and len(self._queue) <= _RESUME_QUEUE:
            self._queue_paused = False
            self.resume_reading()
        return message

    # ------------------------------------------------------------------ sending
    @property
    def open(self) -> bool:
        return self.wire.open_link() is not None

    async def send(self, text: str | bytes) -> None:
        """Write `text`, then wait while the socket is over its high-water mark (frames leave
        in the order they were given, whichever path wrote them: `wire.write` is the other)."""
        wire = self.wire
        if not wire.write(text.encode() if isinstance(text, str) else text):
            raise ConnectionClosed
        while wire.write_paused and not wire.gone:
            if self._drained is None or self._drained.done():
                self._drained = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._drained)
        if wire.gone:
            raise ConnectionClosed

    def _release(self) -> None:
        """Drained or gone: the readers held back by this socket read again, senders go on."""
        self.wire.release()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_reading(self) -> None:
        self._read_pauses += 1
        if self._read_pauses == 1 and self.transport is not None and not self.wire.gone:
            self.transport.underlying_transport.pause_reading()

    def resume_reading(self) -> None:
        self._read_pauses -= 1
        if self._read_pauses == 0 and self.transport is not None and not self.wire.gone:
            self.transport.underlying_transport.resume_reading()

    # ------------------------------------------------------------------ closing
    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close with `code`, wait (briefly) for the peer's answer, then drop the socket."""
        transport = self.transport
        if transport is None or self.wire.gone:
            return
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode(code), reason.encode()[:120])
        try:
            async with asyncio.timeout(_CLOSE_TIMEOUT):
                await self._closed.wait()
        except TimeoutError:
            transport.disconnect(graceful=False)

    def abort(self) -> None:
        """Drop the socket now: no closing handshake (a link that is open but dead)."""
        if self.transport is not None:
            self.transport.disconnect(graceful=False)

    async def wait_closed(self) -> None:
        await self._closed.wait()


def _utf8(payload: bytes) -> str:
    try:
        return payload.decode()
    except UnicodeDecodeError:
        raise WSProtocolError(WSCloseCode.INVALID_TEXT, "invalid UTF-8") from None


def http_response(status: int, body: bytes) -> WSUpgradeResponseWithListener:
    """A plain HTTP answer to a request (JSON `body`), sent instead of an upgrade."""
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if status < 400:
        response = WSUpgradeResponse.create_ok_response(body, headers)
        response.status = HTTPStatus(status)
    else:
        response = WSUpgradeResponse.create_error_response(status, body, headers)
    return WSUpgradeResponseWithListener(response, None)


async def serve(
    route: Callable[[WSUpgradeRequest], WebSocket | WSUpgradeResponseWithListener],
    host: str,
    port: int,
    *,
    max_size: int,
) -> asyncio.Server:
    """Listen on host:port; `route` answers each request with a `WebSocket` or an HTTP response."""
    # Twilio's frames are ~400 bytes: a small first read buffer per call (it grows if needed).
    return await ws_create_server(
        route,
        host,
        port,
        max_frame_size=max_size,
        read_buffer_init_size=4096,
        logger_name="media_bridge.ws",
    )


async def connect(
    url: str,
    headers: dict[str, str],
    *,
    max_size: int,
    open_timeout: float,
    ssl_context: SSLContext | None = None,
) -> WebSocket:
    """A client WebSocket to `url` (TLS for wss://) within `open_timeout` seconds, all told.

    A refusal with an HTTP status raises `HandshakeRefused` (its `Retry-After` kept)."""

    def listener() -> WebSocket:
        return WebSocket(max_size)

    options: dict[str, Any] = {"ssl_context": ssl_context} if ssl_context is not None else {}
    try:
        async with asyncio.timeout(open_timeout):
            _, ws = await ws_connect(
                listener,
                url,
                extra_headers=headers,
                max_frame_size=max_size,
                websocket_handshake_timeout=open_timeout,
                max_redirects=0,
                logger_name="media_bridge.ws",
                **options,
            )
    except WSHandshakeError as error:
        response = error.response
        if response is None:
            raise
        raise HandshakeRefused(int(response.status), response.headers.get("Retry-After")) from None
    assert isinstance(ws, WebSocket)
    return ws
