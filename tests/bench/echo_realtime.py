"""The echoing Realtime stand-in: every caller frame comes straight back as agent audio.

picows on uvloop in its own process, so it costs little next to what it serves. A connection
speaks one of two protocols, told apart by its first message:

- Realtime (the bridge, the floor relay): `input_audio_buffer.append` → one
  `response.output_audio.delta` carrying the same base64; a frame flagged "speech" is preceded by
  `input_audio_buffer.speech_started` (stamped with CLOCK_MONOTONIC, shared by processes, so the
  load generator's `clear` arrival gives speech_started → clear) and starts a new item. The GA
  rules the bridge waits on are kept: `session.updated` echoing the session it asked for, and a
  response that starts and finishes at once for each `response.create` (silent: the audio the
  benchmark measures is the echo of the caller's).
- Twilio (the load generator connected directly, for the baseline round trip): `media` →
  `media` + `mark`, as a relay would answer.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import time
import uuid
from multiprocessing.connection import Connection
from typing import Any

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server

from tests.bench.frames import Field, frame_id, is_speech

DELTA_HEAD = (
    b'{"type":"response.output_audio.delta","event_id":"ev","response_id":"resp",'
    b'"output_index":0,"content_index":0,"item_id":"'
)
APPEND_PREFIX = b'{"type":"input_audio_buffer.append"'
TYPE, AUDIO, EVENT, PAYLOAD = Field("type"), Field("audio"), Field("event"), Field("payload")
TWILIO_MEDIA = b'{"event":"media","streamSid":"MZbaseline","media":{"payload":"'
TWILIO_MARK = b'{"event":"mark","streamSid":"MZbaseline","mark":{"name":"m"}}'
SPEECH_STARTED = (
    '{"type":"input_audio_buffer.speech_started","event_id":"ev",'
    '"audio_start_ms":0,"item_id":"user_1"}'
)


def close_back(transport: WSTransport, frame: WSFrame) -> None:
    """Answer a peer's CLOSE (picows leaves the close handshake to the listener)."""
    transport.send_close(frame.get_close_code())
    transport.disconnect()


class EchoSide(WSListener):
    """One connection to the stand-in."""

    def __init__(self, speech: dict[int, int]):
        self.speech = speech  # call → monotonic_ns when its speech_started was sent
        self.twilio: bool | None = None
        self.delta_head = DELTA_HEAD + b'item_0","delta":"'
        self.turn = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            close_back(transport, frame)
            return
        if frame.msg_type is not WSMsgType.TEXT:
            return
        data = frame.get_payload_as_bytes()
        if self.twilio is None:
            self.twilio = data.startswith(b'{"event"')  # the load generator's `connected`
        if self.twilio:
            self._twilio(transport, data)
        elif data.startswith(APPEND_PREFIX) or TYPE(data) == b"input_audio_buffer.append":
            self._append(transport, data)
        else:
            for reply in control_replies(json.loads(data)):
                transport.send(WSMsgType.TEXT, reply)

    def _append(self, transport: WSTransport, data: bytes) -> None:
        audio = AUDIO(data) or b""
        if is_speech(audio):
            self.speech[frame_id(audio)[0]] = time.monotonic_ns()  # stamped, then sent
            transport.send(WSMsgType.TEXT, SPEECH_STARTED)
            self.turn += 1  # the next response is a new item
            self.delta_head = DELTA_HEAD + f'item_{self.turn}","delta":"'.encode()
        transport.send(WSMsgType.TEXT, self.delta_head + audio + b'"}')

    def _twilio(self, transport: WSTransport, data: bytes) -> None:
        if EVENT(data) != b"media":
            return
        payload = PAYLOAD(data) or b""
        transport.send(WSMsgType.TEXT, TWILIO_MEDIA + payload + b'"}}')
        transport.send(WSMsgType.TEXT, TWILIO_MARK)


def control_replies(event: dict[str, Any]) -> list[str]:
    """What the Realtime server answers to a control event the bridge sends (rare: parsed)."""
    kind = event.get("type")
    if kind == "session.update":
        session = {**event["session"], "model": "gpt-realtime"}
        return [json.dumps({"type": "session.updated", "event_id": "ev", "session": session})]
    if kind == "response.create":
        response = {"object": "realtime.response", "id": f"resp_{uuid.uuid4().hex[:8]}"}
        created = {**response, "status": "in_progress", "output": []}
        done = {**response, "status": "completed", "output": []}
        return [
            json.dumps({"type": "response.created", "event_id": "ev", "response": created}),
            json.dumps({"type": "response.done", "event_id": "ev", "response": done}),
        ]
    return []


async def serve(port_pipe: Connection, control: Connection) -> None:
    """Serve until told to stop; answer each "report" with the speech stamps since the last."""
    speech: dict[int, int] = {}
    server = await ws_create_server(lambda request: EchoSide(speech), "127.0.0.1", 0)
    port_pipe.send(server.sockets[0].getsockname()[1])
    stopped = asyncio.Event()

    def on_control() -> None:
        if control.recv() != "report":
            stopped.set()
            return
        control.send(dict(speech))
        speech.clear()

    asyncio.get_running_loop().add_reader(control.fileno(), on_control)
    await stopped.wait()
    server.close()


def _process(port_pipe: Connection, control: Connection) -> None:
    import uvloop

    uvloop.run(serve(port_pipe, control))


class Echo:
    """The stand-in as a child process: `with Echo() as echo: echo.url, echo.speech_times()`."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._port, port_w = ctx.Pipe(duplex=False)
        self._control, child = ctx.Pipe()
        self.process = ctx.Process(target=_process, args=(port_w, child), daemon=True)

    def __enter__(self) -> Echo:
        self.process.start()
        self.url = f"ws://127.0.0.1:{self._port.recv()}/v1/realtime"
        return self

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def speech_times(self) -> dict[int, int]:
        """call → monotonic_ns of its `speech_started`, since the last time this was asked."""
        self._control.send("report")
        times: dict[int, int] = self._control.recv()
        return times

    def __exit__(self, *exc: object) -> None:
        self._control.send("stop")
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
