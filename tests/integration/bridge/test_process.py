"""`python -m media_bridge` as ECS runs it: its own process on uvloop, configured by the
environment, draining on SIGTERM. Real sockets, moto, the Realtime stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from tests.integration.bridge.conftest import STREAM_KEY
from tests.integration.bridge.fakes import FakeTwilio, ulaw_frame

TIMEOUT = 30.0  # a fresh interpreter imports the bridge first


def _closed_port() -> int:
    """A local port nothing listens on (the tools API is not needed here: refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def process(settings, realtime, tmp_path):
    env = {
        **os.environ,
        "PITSTOP_REALTIME_URL": realtime.url,
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
        "PITSTOP_TOOLS_URL": f"http://127.0.0.1:{_closed_port()}",
        "PITSTOP_STREAM_TOKEN_KEY": STREAM_KEY,
        "PITSTOP_TELEPHONY": "outbox",
        "PITSTOP_OUTBOX": str(tmp_path / "outbox.jsonl"),
        "PITSTOP_BRIDGE_DRAIN_SECONDS": "30",
        "PITSTOP_BRIDGE_TOOL_TIMEOUT": "1",
    }
    env.pop("OPENAI_API_KEY", None)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "media_bridge",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    yield child
    if child.returncode is None:
        child.kill()
        await child.wait()


async def _started(child) -> tuple[str, str]:
    """The stream and health URLs from the start-up line (what the benchmark reads too)."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            line = (await child.stdout.readline()).decode()
            assert line, "the bridge exited before it was listening"
            if line.startswith("media bridge on "):
                stream_url, _, rest = line.removeprefix("media bridge on ").partition(" ")
                return stream_url, rest.strip().removeprefix("(health ").removesuffix(")")


async def test_sigterm_drains_the_process_then_it_exits(process, realtime, crm):
    stream_url, health_url = await _started(process)
    async with httpx.AsyncClient() as http:
        assert (await http.get(health_url)).status_code == 200
        twilio = await FakeTwilio(stream_url, key=STREAM_KEY, calls=crm.calls).open()
        link = await realtime.next_connection(TIMEOUT)
        await link.received.take("session.update", timeout=TIMEOUT)
        process.send_signal(signal.SIGTERM)

        async def unhealthy():  # each probe is a real request: it waits on the bridge
            while (await http.get(health_url)).status_code != 503:
                pass

        await asyncio.wait_for(unhealthy(), TIMEOUT)
        with pytest.raises(InvalidStatus) as refused:  # no new streams while draining
            await FakeTwilio(stream_url, key=STREAM_KEY, calls=crm.calls).open()
        assert refused.value.response.status_code == 503
        await twilio.media(ulaw_frame(3))  # the live call goes on during the drain
        append = await link.received.take("input_audio_buffer.append", timeout=TIMEOUT)
        assert append["audio"] == ulaw_frame(3)
        await twilio.stop()
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
