"""Write hot-path frames without the per-message overhead of `Connection.send`.

`send()` enters an async context manager and writes every frame with its own `transport.write`
(one syscall each). Per 20 ms of agent audio the bridge sends a `media` and a `mark` to Twilio,
and per 20 ms of caller audio an append upstream; profiling (tests/bench/bridge.py) showed
`send` and its syscalls as the largest cost. Here the frames are serialised by the connection's
own sans-I/O protocol (so masking and framing stay websockets') and written in one call.

Only when the connection is open and its write buffer is below the flow-control limit; otherwise
the caller falls back to `await ws.send(...)`, which waits for the buffer to drain or raises
`ConnectionClosed`, so back-pressure and closing behave exactly as before. Both paths write
synchronously once they frame, so frames leave in the order they were given.

This reads websockets' internals (`protocol`, `transport`, `write_limit_high`): the dependency is
pinned below the next major, and tests/integration/bridge/test_wsfast.py drives it over a real
connection (order, back-pressure, a closed peer).
"""

from __future__ import annotations

from websockets.asyncio.connection import Connection
from websockets.protocol import State

_OPEN = State.OPEN


def write_now(ws: Connection, *texts: str) -> bool:
    """Frame `texts` and write them in one call; False: nothing written, `await ws.send` instead."""
    transport = ws.transport
    protocol = ws.protocol
    if (
        protocol.state is not _OPEN
        or transport.is_closing()
        or transport.get_write_buffer_size() > ws.write_limit_high
    ):
        return False
    for text in texts:
        protocol.send_text(text.encode())
    transport.write(b"".join(protocol.data_to_send()))
    return True
