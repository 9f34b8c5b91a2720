"""The floor: the least a Twilio ⇄ Realtime relay can do per frame, on picows + uvloop.

The benchmark runs it beside the bridge, in the same run and under the same load, to say what
the bridge's per-frame job costs at best with the same compiled WebSocket library. Per call:
Twilio `start` → open the Realtime socket; Twilio `media` → find the payload → one
`input_audio_buffer.append`; Realtime `response.output_audio.delta` → find the delta → Twilio
`media` + `mark` in one write; `speech_started` → Twilio `clear`; Twilio's echoed marks are read
and dropped. Nothing else: no token, no session set-up, no CRM, no transcript, no back-pressure.

Server → client frames are not masked, so the Twilio side frames media + mark itself (two
WebSocket headers) and writes them in one `transport.write`: the floor of "media + mark in one
write". Self-contained on purpose (no Pitstop or benchmark imports): it is the reference.

    python -m tests.bench.floor_relay --upstream ws://127.0.0.1:PORT/v1/realtime [--port 0]
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect, ws_create_server

APPEND_HEAD = b'{"type":"input_audio_buffer.append","audio":"'
READY = "floor relay on "  # the start-up line on stdout, followed by the URL


def command(upstream_url: str) -> list[str]:
    """How to run the floor as its own process (from the repository root)."""
    return [sys.executable, "-m", "tests.bench.floor_relay", "--upstream", upstream_url]


def text_frame(payload: bytes) -> bytes:
    """An unmasked WebSocket text frame (server side)."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return b"\x81\x7e" + size.to_bytes(2, "big") + payload
    return b"\x81\x7f" + size.to_bytes(8, "big") + payload


def answered_close(transport: WSTransport, frame: WSFrame) -> bool:
    """A peer's close frame, echoed and the socket dropped (either side of the relay)."""
    if frame.msg_type is not WSMsgType.CLOSE:
        return False
    transport.send_close(frame.get_close_code())
    transport.disconnect()
    return True


class TwilioSide(WSListener):
    """One Twilio media stream and its Realtime connection."""

    def __init__(self, upstream_url: str):
        self.upstream_url = upstream_url
        self.twilio: WSTransport | None = None
        self.upstream: WSTransport | None = None
        self.connecting: asyncio.Task[None] | None = None
        self.media_head = self.mark_head = self.clear_text = b""
        self.marks = 0

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.twilio = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if answered_close(transport, frame):
            return
        data = frame.get_payload_as_bytes()
        at = data.find(b'"payload":"')
        if at >= 0:
            if self.upstream is not None:  # frames before the upstream is open are dropped
                at += 11
                audio = data[at : data.index(b'"', at)]
                self.upstream.send(WSMsgType.TEXT, APPEND_HEAD + audio + b'"}')
        elif data.find(b'"event":"start"') >= 0:
            self.start(data)

    def start(self, data: bytes) -> None:
        at = data.index(b'"streamSid":"') + 13
        sid = data[at : data.index(b'"', at)]
        self.media_head = b'{"event":"media","streamSid":"' + sid + b'","media":{"payload":"'
        self.mark_head = b'{"event":"mark","streamSid":"' + sid + b'","mark":{"name":"'
        self.clear_text = text_frame(b'{"event":"clear","streamSid":"' + sid + b'"}')
        self.connecting = asyncio.get_running_loop().create_task(self.connect())

    async def connect(self) -> None:
        self.upstream, _ = await ws_connect(lambda: RealtimeSide(self), self.upstream_url)

    def play(self, audio: bytes) -> None:
        self.marks += 1
        mark = self.mark_head + str(self.marks).encode() + b'"}}'
        media = self.media_head + audio + b'"}}'
        if self.twilio is not None:
            self.twilio.underlying_transport.write(text_frame(media) + text_frame(mark))

    def clear(self) -> None:
        if self.twilio is not None:
            self.twilio.underlying_transport.write(self.clear_text)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.upstream is not None:
            self.upstream.disconnect()
        elif self.connecting is not None:
            self.connecting.cancel()


class RealtimeSide(WSListener):
    """The Realtime connection of one call: audio deltas and caller speech, nothing else."""

    def __init__(self, call: TwilioSide):
        self.call = call

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if answered_close(transport, frame):
            return
        data = frame.get_payload_as_bytes()
        at = data.find(b'"delta":"')
        if at >= 0:
            at += 9
            self.call.play(data[at : data.index(b'"', at)])
        elif data.find(b'"input_audio_buffer.speech_started"') >= 0:
            self.call.clear()


async def main(host: str, port: int, upstream_url: str) -> None:
    server = await ws_create_server(lambda request: TwilioSide(upstream_url), host, port)
    bound = server.sockets[0].getsockname()[1]
    print(f"{READY}ws://{host}:{bound}/media-stream", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.bench.floor_relay")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", required=True, help="the Realtime stand-in's URL")
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port, args.upstream))
