"""The bridge's picows transport (`media_bridge.ws`) over real sockets, with websockets as the peer.

What the old fast path's tests proved, on the new transport: frames leave and arrive in order
whichever path handled them, a slow peer pushes back on the socket feeding it (nothing dropped),
a closed peer ends the socket cleanly. And the limits at the Twilio side (1007, 1009, 1008), the
Realtime client's TLS with its `Authorization: Bearer`. Every wait is on an event, a queue or a
ping's pong, bounded by a timeout; never a sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.client import connect as ws_client
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from media_bridge import realtime_side as rt
from media_bridge import ws
from tests.integration.bridge.conftest import STREAM_KEY
from tests.integration.bridge.fakes import FakeTwilio

TIMEOUT = 10.0
SOCKET_BUFFER = 4096
MAX = 64 * 1024


class Peer:
    """A websockets server: records what it receives, can stop reading, sees the handshake."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[str | bytes] = asyncio.Queue()
        self.reading = asyncio.Event()
        self.reading.set()
        self.connected: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.headers: list[dict[str, str]] = []
        self._server = None

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> Peer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)  # inherited
        listener.bind(("127.0.0.1", 0))
        self._server = await serve(
            self._handle,
            sock=listener,
            compression=None,
            max_queue=1,
            max_size=None,
            ssl=ssl_context,
            process_request=self._seen,
        )
        return self

    def url(self, scheme: str = "ws") -> str:
        port = self._server.sockets[0].getsockname()[1]
        host = "localhost" if scheme == "wss" else "127.0.0.1"
        return f"{scheme}://{host}:{port}/v1/realtime"

    def _seen(self, connection, request) -> None:
        self.headers.append(dict(request.headers.raw_items()))

    async def _handle(self, conn: ServerConnection) -> None:
        await self.connected.put(conn)
        try:
            while True:
                await self.reading.wait()
                await self.received.put(await conn.recv())
        except ConnectionClosed:
            pass

    async def take(self, n: int) -> list[str | bytes]:
        async with asyncio.timeout(TIMEOUT):
            return [await self.received.get() for _ in range(n)]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


class Server:
    """Our picows server socket for one peer: a `hot` handler that takes some messages, the
    async reader that takes the rest, one log of both in the order they were handled."""

    def __init__(self, hot_prefix: str = "hot") -> None:
        self.log: list[str | bytes] = []
        self.logged = asyncio.Event()
        self.sockets: asyncio.Queue[ws.WebSocket] = asyncio.Queue()
        self.gate = asyncio.Event()  # a reader message "slow" waits for it
        self.gate.set()
        self._prefix = hot_prefix
        self._server: asyncio.Server | None = None
        self._readers: set[asyncio.Task[None]] = set()

    async def start(self) -> Server:
        self._server = await ws.serve(self._route, "127.0.0.1", 0, max_size=MAX)
        return self

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/"

    def _route(self, request) -> ws.WebSocket:
        return ws.WebSocket(MAX, on_open=self._opened)

    def _opened(self, sock: ws.WebSocket) -> None:
        sock.hot = self._hot
        self.sockets.put_nowait(sock)
        task = asyncio.create_task(self._read(sock))
        self._readers.add(task)

    def _hot(self, data: bytes) -> bool:
        if not data.startswith(self._prefix.encode()):
            return False
        self._add(data.decode())
        return True

    def _add(self, message: str | bytes) -> None:
        self.log.append(message)
        self.logged.set()

    async def _read(self, sock: ws.WebSocket) -> None:
        async for message in sock:
            if message == "slow":
                await self.gate.wait()
            self._add(message)

    async def logged_at_least(self, n: int) -> list[str | bytes]:
        async with asyncio.timeout(TIMEOUT):
            while len(self.log) < n:
                self.logged.clear()
                await self.logged.wait()
        return self.log

    async def stop(self) -> None:
        self._server.close()
        for task in self._readers:
            task.cancel()
        await self._server.wait_closed()


@pytest.fixture
async def peer():
    server = await Peer().start()
    yield server
    await server.stop()


@pytest.fixture
async def server():
    ours = await Server().start()
    yield ours
    await ours.stop()


async def synced(client) -> None:
    """Everything `client` sent before this has been handled by our side (ping → pong)."""
    await asyncio.wait_for(await client.ping(), TIMEOUT)


# ---------------------------------------------------------------------------- order
async def test_hot_and_reader_messages_are_handled_in_the_order_they_arrived(server):
    sent = [f"hot {n}" if n % 3 else f"cold {n}" for n in range(60)]
    async with ws_client(server.url, compression=None) as client:
        for text in sent:
            await client.send(text)
        await client.send(b"binary")  # never to `hot`: the reader's, in its place
        await client.send(["hot ", "in ", "fragments"])  # reassembled, then `hot`'s
        await client.send([b"bin", b"ary"])
        expected = [*sent, b"binary", "hot in fragments", b"binary"]
        assert await server.logged_at_least(len(expected)) == expected


async def test_hot_never_overtakes_a_message_the_reader_is_still_handling(server):
    server.gate.clear()
    async with ws_client(server.url, compression=None) as client:
        await client.send("slow")
        await synced(client)  # the reader has taken "slow": nothing is queued now
        await client.send("hot 1")
        await client.send("hot 2")
        await synced(client)
        assert server.log == []  # both hot frames waited behind the reader's message
        server.gate.set()
        assert await server.logged_at_least(3) == ["slow", "hot 1", "hot 2"]
        await client.send("hot 3")  # the reader is idle again: straight to `hot`
        assert await server.logged_at_least(4) == ["slow", "hot 1", "hot 2", "hot 3"]


@pytest.mark.parametrize("size", [10, 125, 126, 3000, 65535, 65536, 70000])
async def test_two_frames_in_one_write_reach_a_strict_peer_whole_and_in_order(server, size):
    """Server-side frames written pre-framed in one write: every RFC 6455 length form."""
    async with ws_client(server.url, compression=None, max_size=None) as client:
        sock = await asyncio.wait_for(server.sockets.get(), TIMEOUT)
        first, second = "a" * size, "b" * (size // 2 + 1)
        assert sock.wire.write_pair(first.encode(), second.encode(), sock)
        assert sock.wire.write(b"c")
        async with asyncio.timeout(TIMEOUT):
            assert [await client.recv() for _ in range(3)] == [first, second, "c"]


async def test_a_client_socket_masks_what_it_writes_in_order(peer):
    sock = await ws.connect(peer.url(), {}, max_size=MAX, open_timeout=TIMEOUT)
    assert sock.wire.write_pair(b"one", b"two", sock)
    await sock.send("three")
    assert await peer.take(3) == ["one", "two", "three"]
    await sock.close()


# ---------------------------------------------------------------------------- back-pressure
class Watched(ws.WebSocket):
    """A server socket with small buffers that tells the test when it pauses and resumes."""

    def __init__(self, on_open) -> None:
        super().__init__(MAX, on_open)
        self.read_paused = asyncio.Event()
        self.read_resumed = asyncio.Event()
        self.write_paused = asyncio.Event()

    def on_ws_connected(self, transport) -> None:
        underlying = transport.underlying_transport
        underlying.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER
        )
        underlying.set_write_buffer_limits(high=SOCKET_BUFFER)
        super().on_ws_connected(transport)

    def pause_reading(self) -> None:
        super().pause_reading()
        self.read_paused.set()

    def resume_reading(self) -> None:
        super().resume_reading()
        self.read_resumed.set()

    def pause_writing(self) -> None:
        super().pause_writing()
        self.write_paused.set()


class Pair:
    """Our server, one socket per path: `/source` feeds `/sink` on the hot path."""

    def __init__(self) -> None:
        self.sockets: dict[str, asyncio.Future[Watched]] = {}
        self._server: asyncio.Server | None = None

    async def start(self) -> Pair:
        loop = asyncio.get_running_loop()
        self.sockets = {"/source": loop.create_future(), "/sink": loop.create_future()}
        self._server = await ws.serve(self._route, "127.0.0.1", 0, max_size=MAX)
        return self

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}{path}"

    def _route(self, request) -> Watched:
        path = request.path.decode()
        return Watched(lambda sock: self._opened(path, sock))

    def _opened(self, path: str, sock: Watched) -> None:
        if path == "/source":
            sink = self.sockets["/sink"].result()
            sock.hot = lambda data: sink.wire.write(data, sock)
        self.sockets[path].set_result(sock)

    async def socket(self, path: str) -> Watched:
        return await asyncio.wait_for(asyncio.shield(self.sockets[path]), TIMEOUT)

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def pair():
    ours = await Pair().start()
    yield ours
    await ours.stop()


async def slow_client(url: str):
    """A websockets client that reads nothing until asked: a tiny receive buffer, one message
    queued at most, so what our side writes to it backs up."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
    sock.setblocking(False)
    host, port = url.split("//")[1].split("/")[0].split(":")
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await ws_client(url, sock=sock, compression=None, max_queue=1, max_size=None)


async def _send_all(client, frames: list[str]) -> None:
    for text in frames:
        await client.send(text)


FRAMES = [f"{n:05d}" + "x" * 1000 for n in range(2000)]


async def test_a_slow_peer_pauses_the_socket_feeding_it_and_nothing_is_lost(pair):
    """Twilio → `/source` → (hot path) → `/sink` → a peer that stops reading: `/source` stops
    reading until the sink drains, then every frame arrives, in order."""
    sink_peer = await slow_client(pair.url("/sink"))
    await pair.socket("/sink")
    async with ws_client(pair.url("/source"), compression=None) as twilio:
        source = await pair.socket("/source")
        sending = asyncio.create_task(_send_all(twilio, FRAMES))
        await asyncio.wait_for(source.read_paused.wait(), TIMEOUT)
        assert not source.read_resumed.is_set()
        async with asyncio.timeout(TIMEOUT):
            assert [await sink_peer.recv() for _ in FRAMES] == FRAMES
        await asyncio.wait_for(sending, TIMEOUT)
        assert source.read_resumed.is_set()
    await sink_peer.close()


async def test_send_writes_then_waits_for_the_drain(pair):
    sink_peer = await slow_client(pair.url("/sink"))
    sink = await pair.socket("/sink")
    sending = asyncio.create_task(_send_all(sink, FRAMES))
    await asyncio.wait_for(sink.write_paused.wait(), TIMEOUT)
    assert not sending.done()  # the sender waits for the peer instead of buffering it all
    async with asyncio.timeout(TIMEOUT):
        assert [await sink_peer.recv() for _ in FRAMES] == FRAMES
    await asyncio.wait_for(sending, TIMEOUT)
    await sink_peer.close()


# ---------------------------------------------------------------------------- closing
async def test_a_closed_peer_ends_reading_and_refuses_writes(peer):
    sock = await ws.connect(peer.url(), {}, max_size=MAX, open_timeout=TIMEOUT)
    remote = await asyncio.wait_for(peer.connected.get(), TIMEOUT)
    await remote.close(1000, "bye")
    async with asyncio.timeout(TIMEOUT):
        assert [m async for m in sock] == []
    assert sock.close_code == 1000
    assert not sock.open
    assert not sock.wire.write(b"late")
    with pytest.raises(ws.ConnectionClosed):
        await sock.send("late")
    await sock.close()  # closing a closed socket is a no-op


async def test_a_handshake_refused_with_429_keeps_its_retry_after():
    async def refuse(connection, request):
        response = connection.respond(429, "slow down\n")
        response.headers["Retry-After"] = "3"
        return response

    async with serve(lambda c: None, "127.0.0.1", 0, process_request=refuse) as server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(ws.HandshakeRefused) as refused:
            await ws.connect(f"ws://127.0.0.1:{port}/", {}, max_size=MAX, open_timeout=TIMEOUT)
    assert (refused.value.status, refused.value.retry_after) == (429, "3")


# ---------------------------------------------------------------------------- the Twilio side
async def test_invalid_utf8_text_closes_the_stream_with_1007(bridge):
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False)
    await twilio.ws.send(b"\xff\xfe not utf-8", text=True)  # a text frame, bytes unchecked
    assert await twilio.wait_closed() == 1007


async def test_invalid_utf8_in_a_live_calls_media_frame_closes_with_1007(bridge, call_factory):
    """On the hot path too: orjson refuses the bytes, the frame is decoded, and that fails."""
    call = await call_factory(bridge)
    frame = b'{"event":"media","media":{"payload":"AAAA\xff"}}'
    await call.twilio.ws.send(frame, text=True)
    assert await call.twilio.wait_closed() == 1007


async def test_a_fragmented_message_over_the_limit_closes_with_1009(bridge):
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False)
    fragment = "x" * (bridge.runtime.options.max_twilio_frame // 2)
    await twilio.send_raw([fragment, fragment, fragment])  # each fragment fits, the whole not
    assert await twilio.wait_closed() == 1009


async def test_media_before_start_closes_with_1008(bridge):
    twilio = await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False)
    await twilio.media("AAAA")
    assert await twilio.wait_closed() == 1008


# ---------------------------------------------------------------------------- TLS upstream
def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost (its own CA), as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_the_realtime_link_speaks_tls_with_a_bearer_token(tmp_path, monkeypatch):
    """wss:// verified against the system trust store (here: SSL_CERT_FILE, our own CA)."""
    cert, key = _certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    tls_peer = await Peer().start(ssl_context=server_context)
    try:
        link = await rt.RealtimeLink.open(
            tls_peer.url("wss"), "sk-test", max_size=MAX, open_timeout=TIMEOUT
        )
        assert link.ws.transport.is_secure
        await link.send({"type": "response.create"})
        assert await tls_peer.take(1) == ['{"type":"response.create"}']
        assert tls_peer.headers[0]["Authorization"] == "Bearer sk-test"
        remote = await asyncio.wait_for(tls_peer.connected.get(), TIMEOUT)
        await remote.send('{"type":"session.created"}')
        async with asyncio.timeout(TIMEOUT):
            assert await link.ws.recv() == '{"type":"session.created"}'
        await link.close()
    finally:
        await tls_peer.stop()


async def test_an_untrusted_certificate_is_refused(tmp_path):
    cert, key = _certificate(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    tls_peer = await Peer().start(ssl_context=server_context)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            await rt.RealtimeLink.open(
                tls_peer.url("wss"), "sk-test", max_size=MAX, open_timeout=TIMEOUT
            )
    finally:
        await tls_peer.stop()


async def test_stop_closes_the_sockets_still_open_with_1001(bridge, call_factory):
    call = await call_factory(bridge)
    idle = await FakeTwilio(bridge.url, key=STREAM_KEY).open(start=False)
    await bridge.stop()
    assert await call.twilio.wait_closed() == 1001
    assert await idle.wait_closed() == 1001  # not yet started: closed as going away too
    assert bridge.live_calls == 0
