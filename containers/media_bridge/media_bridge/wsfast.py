"""Write hot-path frames without the per-message overhead of `Connection.send`.

`send()` enters an async context manager and writes every frame with its own `transport.write`
(one syscall each). Per 20 ms of agent audio the bridge sends a `media` and a `mark` to Twilio,
and per 20 ms of caller audio an append upstream; profiling (tests/bench/bridge.py) showed
`send` and its syscalls as the largest cost. Here the frames are serialised by the connection's
own sans-I/O protocol (so masking and framing stay websockets') and written in one call.

Only when the connection is open and its write buffer is below the flow-control limit; otherwise
the caller falls back to `await ws.send(...)`, which waits for the buffer to drain or raises
`ConnectionClosed` — so back-pressure and closing behave exactly as before.
"""

from __future__ import annotations

from websockets.protocol import State

_OPEN = State.OPEN


def write_now(ws, *texts: str) -> bool:
    """Queue `texts` as text frames and write them at once; False if the caller must `await send`."""
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
