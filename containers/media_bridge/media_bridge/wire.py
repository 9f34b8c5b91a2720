"""A WebSocket's per-frame half: each frame picows reads, and each text frame the hot path writes.

Compiled with the rest of the hot path (compile_hot_path.py), unlike `ws.WebSocket`: that one
subclasses picows' Cython listener, which mypyc cannot make a native class of, so it stays
interpreted and keeps everything that happens once per call or per slow message (the
handshake, the reader's queue, fragments, closing). What runs for every 20 ms frame is here,
so no frame of interpreted Python is entered for it: picows calls `Wire.frame` directly (the
listener's `on_ws_frame` is this bound method), the hot handler is called from it, and the
handler's writes (`write`, `write_pair`) are native calls.

State the slow half changes (connected, gone, over the high-water mark, the hot handler that
may take the next frame) lives here as plain fields, set by `ws.WebSocket`.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import Any, Final, Protocol

from picows import WSFrame, WSMsgType, WSTransport

_TEXT: Final = WSMsgType.TEXT
_FIN_TEXT: Final = 0x81  # FIN + text opcode: the first byte of every unmasked text frame
_HEAD_16: Final = struct.Struct("!BBH").pack
_HEAD_64: Final = struct.Struct("!BBQ").pack
_SHORT_HEADS: Final = tuple(bytes((_FIN_TEXT, n)) for n in range(126))  # by payload size

Hot = Callable[[bytes], bool]  # a text message's UTF-8 payload → taken?


def head(n: int) -> bytes:
    """An unmasked (server-side) text frame's header, as RFC 6455 section 5.2 lays it out."""
    if n < 126:
        return _SHORT_HEADS[n]
    if n < 65536:
        return _HEAD_16(_FIN_TEXT, 126, n)
    return _HEAD_64(_FIN_TEXT, 127, n)


class Socket(Protocol):
    """What the per-frame half needs of its WebSocket (the slow half, `ws.WebSocket`)."""

    def to_reader(self, payload: bytes) -> None: ...

    def other_frame(self, transport: WSTransport, frame: WSFrame) -> None: ...


class Reader(Protocol):
    """A socket whose reading stops while the one it writes to is over its high-water mark."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class Wire:
    """One WebSocket's frames in and hot text frames out (see the module's docstring)."""

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.hot: Hot | None = None  # the handler that may take the next frame, else None
        self.link: WSTransport | None = None  # set once connected
        self.raw: asyncio.Transport | None = None  # the socket under a server side's frames
        self.gone = True  # not connected (not yet, or no more)
        self.write_paused = False  # over the high-water mark
        self.held: list[Reader] = []  # readers paused until this socket drains

    def frame(self, transport: WSTransport, frame: WSFrame) -> None:
        """A whole text message goes to `hot` when it may take one; anything else, or what
        `hot` does not take, to the slow half."""
        hot = self.hot
        unchecked: Any = frame  # `fin` is a C uint8 (an int), not the stub's bool
        if hot is not None and frame.msg_type is _TEXT and unchecked.fin:
            payload = frame.get_payload_as_bytes()
            if not hot(payload):
                self.socket.to_reader(payload)
        else:
            self.socket.other_frame(transport, frame)

    def open_link(self) -> WSTransport | None:
        """The connection while frames may be written on it (connected, no close sent)."""
        link = self.link
        return None if self.gone or link is None or link.is_close_frame_sent else link

    def write(self, message: bytes, reader: Reader | None = None) -> bool:
        """Write the text `message` (UTF-8) now; False: the socket is closed.

        `reader` (the socket the frame came from) stops reading while this one is over its
        high-water mark."""
        link = self.open_link()
        if link is None:
            return False
        link.send(_TEXT, message)
        if self.write_paused and reader is not None:
            self.hold(reader)
        return True

    def write_pair(self, first: bytes, second: bytes, reader: Reader) -> bool:
        """`write` of two text messages in one write (as for `write`).

        Unmasked frames (the server side's) are just a header and the payload, so they are
        framed here and written in one call (the usual pair: agent audio, its short mark); a
        client masks each frame, so picows frames those."""
        link = self.open_link()
        if link is None:
            return False
        raw = self.raw
        if raw is None:
            link.send(_TEXT, first)
            link.send(_TEXT, second)
        else:
            raw.write(b"".join((head(len(first)), first, head(len(second)), second)))
        if self.write_paused:
            self.hold(reader)
        return True

    def hold(self, reader: Reader) -> None:
        """This socket is over its high-water mark: `reader` stops reading until it drains."""
        if reader not in self.held:
            self.held.append(reader)
            reader.pause_reading()

    def release(self) -> None:
        """Drained or gone: the readers held back by this socket read again."""
        held, self.held = self.held, []
        for reader in held:
            reader.resume_reading()
