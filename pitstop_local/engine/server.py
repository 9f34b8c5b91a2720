"""The offline engine's WebSocket server: a local stand-in for `wss://api.openai.com/v1/realtime`.

Why any path: clients connect exactly as they would to OpenAI (`/v1/realtime?model=…`, with or
without an `Authorization` header), so `PITSTOP_REALTIME_URL=ws://127.0.0.1:8766/v1/realtime`
is the only difference between the offline stack and production. One `Session` per connection;
speech resources (TTS cache, recognisers) are shared by all of them.

Use `await serve_engine(host, port)` inside an event loop (it returns the started
`websockets` server: `server.close(); await server.wait_closed()` to stop; the bound port is
`server.sockets[0].getsockname()[1]` when `port=0`), or `run(host, port)` to block until
Ctrl-C. `python -m pitstop_local.engine --host 127.0.0.1 --port 8766`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections import deque
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve

from pitstop_local.engine.rules import EngineRules
from pitstop_local.engine.session import Session
from pitstop_local.engine.voice import Speech

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8766
#: Audio deltas: 0 = as fast as they are synthesised (as OpenAI streams, faster than real time).
DEFAULT_PACE = 0.0


async def serve_engine(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    speech: Speech | None = None,
    pace: float = DEFAULT_PACE,
    chunk_ms: int = 160,
    rules: EngineRules | None = None,
) -> Server:
    """Start the engine on `host:port` (0 = any free port) and return the running server.

    `rules` (default: from `PITSTOP_ENGINE_*`) say how strictly it imitates the real server."""
    rules = rules or EngineRules()
    # The session each closed connection had configured (what `session.update` gave the engine),
    # the latest last: tests read what the bridge sent without a log to parse.
    configured: deque[dict] = deque(maxlen=32)
    if speech is None:
        speech = Speech()
        speech.warm_up()

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else "/"
        model = (parse_qs(urlsplit(path).query).get("model") or ["gpt-realtime"])[0]
        session = Session(
            connection, speech, pace=pace, chunk_ms=chunk_ms, model=model, rules=rules
        )
        log.info(
            "offline engine: session %s opened (%s, %s)",
            session.session_id,
            path,
            "strict" if rules.strict else "forgiving",
        )
        try:
            await session.run()
        finally:
            configured.append(session.config)
            log.info("offline engine: session %s closed", session.session_id)

    server = await serve(handler, host, port, max_size=2**24, ping_interval=None, compression=None)
    server.speech = speech  # type: ignore[attr-defined]  # lets callers warm or share it
    server.rules = rules  # type: ignore[attr-defined]  # what the engine enforces
    server.configured = configured  # type: ignore[attr-defined]  # closed sessions' config
    return server


def bound_port(server: Server) -> int:
    """The TCP port a server listens on (useful after `serve_engine(port=0)`)."""
    return server.sockets[0].getsockname()[1] if server.sockets else 0


async def _main(host: str, port: int, pace: float) -> None:
    server = await serve_engine(host, port, pace=pace)
    print(
        f"ready offline engine (Pitstop's offline test voice, not the production AI) "
        f"ws://{host}:{bound_port(server)}/v1/realtime",
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def run(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, pace: float = DEFAULT_PACE) -> None:
    """Serve until Ctrl-C / SIGTERM (blocking)."""
    asyncio.run(_main(host, port, pace))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pitstop_local.engine",
        description="Pitstop's offline Realtime engine (development and tests only).",
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--pace",
        type=float,
        default=DEFAULT_PACE,
        help="audio send speed as a multiple of real time (0 = as fast as made)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run(args.host, args.port, args.pace)
    return 0
