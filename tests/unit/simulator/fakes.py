"""A tiny fake webhook and fake stream server (the bridge's side), for simulator tests.

They observe the wire (form fields, signature, Media Streams frames), so a test fails when the
simulator skips a step Twilio performs.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from websockets.asyncio.server import serve

from pitstop import twiml
from pitstop_local.simulator.line import frame_rms
from pitstop_local.simulator.scenario import Scenario
from pitstop_local.speech import codec

TOKEN = "unit-test-auth-token"
TONE = codec.pcm16_to_mulaw(
    b"".join(
        (8000 * (1 if (i // 10) % 2 else -1)).to_bytes(2, "little", signed=True)
        for i in range(8000)
    )
)  # one second of a loud square wave, μ-law


class FakeWebhook:
    """Answers /voice with a stream TwiML (or `answer`), checks signatures like the webhook."""

    def __init__(self, bridge_url: str):
        self.requests: list[dict] = []
        #: path (without query) → TwiML, for the routes an `action` leads to.
        self.routes: dict[str, str] = {}
        self.answer = twiml.stream_twiml(
            bridge_url, {"direction": "inbound", "customer_number": "+15551230001", "token": "tok"}
        )
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = dict(parse_qsl(body, keep_blank_values=True))
                url = f"http://127.0.0.1:{outer.port}{self.path}"
                valid = RequestValidator(TOKEN).validate(
                    url, form, self.headers.get("X-Twilio-Signature", "")
                )
                outer.requests.append({"path": self.path, "form": form, "valid": valid})
                reply = outer.reply_for(self.path).encode()
                self.send_response(200 if valid else 403)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reply_for(self, path: str) -> str:
        route = path.split("?", 1)[0]
        if route in self.routes:
            return self.routes[route]
        if route.startswith("/voice") and "status" not in route:
            return self.answer
        return "<Response/>"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class FakeBridge:
    """Plays `plan` to the caller and records every frame it receives, with the count of inbound
    media frames seen so far (the simulator's clock, observed from the other end)."""

    def __init__(self, plan):
        self.plan = plan
        self.received: list[tuple[int, dict]] = []
        self.start: dict | None = None
        self.media_frames = 0
        self.first_voiced_frame: int | None = None
        self.server = None

    async def __aenter__(self):
        self.server = await serve(self._handle, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/media-stream"
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()

    async def send_audio(self, ws, sid, audio: bytes, mark: str | None = None):
        for chunk in range(0, len(audio), 800):  # 100 ms deltas, as an engine streams them
            payload = base64.b64encode(audio[chunk : chunk + 800]).decode()
            await ws.send(
                json.dumps({"event": "media", "streamSid": sid, "media": {"payload": payload}})
            )
        if mark:
            await ws.send(json.dumps({"event": "mark", "streamSid": sid, "mark": {"name": mark}}))

    async def _handle(self, ws):
        sid = None
        planner = None
        async for raw in ws:
            message = json.loads(raw)
            self.received.append((self.media_frames, message))
            if message["event"] == "start":
                self.start = message
                sid = message["start"]["streamSid"]
                planner = asyncio.create_task(self.plan(self, ws, sid))
            elif message["event"] == "media":
                self.media_frames += 1
                frame = base64.b64decode(message["media"]["payload"])
                if self.first_voiced_frame is None and frame_rms(frame) > 300:
                    self.first_voiced_frame = self.media_frames
                    self.on_voice(ws, sid)
        if planner:
            planner.cancel()

    def on_voice(self, ws, sid):
        pass

    def acks(self):
        return [(n, m["mark"]["name"]) for n, m in self.received if m["event"] == "mark"]


def scenario(steps) -> Scenario:
    return Scenario.model_validate({"name": "unit", "steps": steps})
