"""The fast write path (`media_bridge.wsfast.write_now`) over a real websockets connection.

It writes through websockets' protocol internals, which is why websockets is pinned below its
next major: these tests are what tells an upgrade broke it. Small socket buffers and a small
write limit make back-pressure reachable in a few hundred kilobytes; every wait is on an event
or a queue with a timeout, never a sleep.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from media_bridge.call_state import Playout
from media_bridge.twilio_side import TwilioLeg
from media_bridge.wsfast import write_now

TIMEOUT = 10.0
WRITE_LIMIT = 4096  # the client's high-water mark: back-pressure after a few frames stall
SOCKET_BUFFER = 4096
FRAME = 1000  # characters of padding per frame


class Peer:
    """A websockets server that records what it receives, and can stop reading or hang up."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[str] = asyncio.Queue()
        self.reading = asyncio.Event()
        self.reading.set()
        self.connected: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self._server = None

    async def start(self) -> Peer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)  # inherited
        listener.bind(("127.0.0.1", 0))
        self._server = await serve(
            self._handle, sock=listener, compression=None, max_queue=1, max_size=None
        )
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _handle(self, ws: ServerConnection) -> None:
        await self.connected.put(ws)
        try:
            while True:
                await self.reading.wait()
                await self.received.put(await ws.recv())
        except ConnectionClosed:
            pass

    async def take(self, n: int) -> list[str]:
        async with asyncio.timeout(TIMEOUT):
            return [await self.received.get() for _ in range(n)]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def peer():
    server = await Peer().start()
    yield server
    await server.stop()


async def open_client(peer: Peer) -> tuple[ClientConnection, ServerConnection]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, peer._server.sockets[0].getsockname())
    ws = await connect(peer.url, sock=sock, compression=None, write_limit=WRITE_LIMIT)
    async with asyncio.timeout(TIMEOUT):
        server_side = await peer.connected.get()
    return ws, server_side


def frame(n: int) -> str:
    return f"{n:08d}:" + "x" * FRAME


async def test_frames_arrive_intact_and_in_order_mixed_with_awaited_sends(peer):
    ws, _ = await open_client(peer)
    sent = []
    for n in range(0, 300, 3):
        assert write_now(ws, frame(n), frame(n + 1))  # nobody is slow: the fast path is taken
        await ws.send(frame(n + 2))
        sent += [frame(n), frame(n + 1), frame(n + 2)]
    assert await peer.take(len(sent)) == sent
    await ws.close()


async def test_back_pressure_falls_back_to_send_and_loses_nothing(peer):
    ws, _ = await open_client(peer)
    peer.reading.clear()  # the peer stops reading: its socket, then ours, then our buffer fill
    sent: list[str] = []
    while write_now(ws, frame(len(sent))):
        sent.append(frame(len(sent)))
        assert len(sent) < 100_000, "the write buffer never passed its high-water mark"
    assert ws.transport.get_write_buffer_size() > WRITE_LIMIT
    assert not write_now(ws, "refused")  # still full: nothing written, nothing half-framed
    # The caller's fallback: `await send` waits for the buffer to drain, in order.
    fallback = asyncio.create_task(ws.send(frame(len(sent))))
    sent.append(frame(len(sent)))
    peer.reading.set()
    async with asyncio.timeout(TIMEOUT):
        await fallback
    assert write_now(ws, frame(len(sent)))  # drained: the fast path again
    sent.append(frame(len(sent)))
    assert await peer.take(len(sent)) == sent
    assert peer.received.empty()
    await ws.close()


async def test_twilio_leg_under_back_pressure_waits_and_keeps_order(peer):
    ws, _ = await open_client(peer)
    playout = Playout()
    leg = TwilioLeg(ws, "MZ1", playout, asyncio.Event())  # the bridge's own caller of write_now
    peer.reading.clear()
    payload = "A" * 1600
    while write_now(ws, leg.out.media(payload)):
        pass
    written = ws.transport.get_write_buffer_size()
    assert written > WRITE_LIMIT
    playing = asyncio.create_task(leg.play("item_1", payload))
    peer.reading.set()
    async with asyncio.timeout(TIMEOUT):
        await playing
    # Everything before the stall, then the media and its mark, in that order.
    received = []
    async with asyncio.timeout(TIMEOUT):
        while not received or received[-1] != leg.out.mark("m1"):
            received.append(await peer.received.get())
    assert received[-2:] == [leg.out.media(payload), leg.out.mark("m1")]
    assert all(text == leg.out.media(payload) for text in received[:-1])
    await ws.close()


async def test_a_closed_peer_refuses_the_fast_path_and_send_raises(peer):
    ws, server_side = await open_client(peer)
    assert write_now(ws, frame(1))
    assert await peer.take(1) == [frame(1)]
    await server_side.close()
    async with asyncio.timeout(TIMEOUT):
        await ws.wait_closed()
    assert not write_now(ws, frame(2))
    with pytest.raises(ConnectionClosed):
        await ws.send(frame(3))
    ended = asyncio.Event()
    await TwilioLeg(ws, "MZ1", Playout(), ended).play("item_1", "AAAA")
    assert ended.is_set()  # a Twilio socket that is gone ends the call, it does not raise
    assert peer.received.empty()  # nothing after the close reached the peer


async def test_an_aborted_peer_never_gets_a_corrupt_frame(peer):
    ws, server_side = await open_client(peer)
    assert write_now(ws, frame(1), frame(2))
    assert await peer.take(2) == [frame(1), frame(2)]
    server_side.transport.abort()  # a network drop: no closing handshake
    async with asyncio.timeout(TIMEOUT):
        await ws.wait_closed()
    assert not write_now(ws, frame(3))
    with pytest.raises(ConnectionClosed):
        await ws.send(frame(4))
