"""`pitstop dev` and `pitstop call` as black boxes, the way a developer uses them: start the
stack in a child process, wait for its `ready` line, place a call with the CLI simulator in
another child process, then stop the stack with SIGTERM and expect a clean exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
import pytest
from twilio.request_validator import RequestValidator

from pitstop.config import Settings
from pitstop.dal import Crm
from pitstop.secrets import DEV_TWILIO_AUTH_TOKEN
from tests.e2e.conftest import open_round_the_clock_today

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="package")]


def _clean_env() -> dict[str, str]:
    """The environment without the in-process stack's PITSTOP_* exports, strict engine on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PITSTOP_")}
    env.pop("TWILIO_AUTH_TOKEN", None)
    env.pop("OPENAI_API_KEY", None)
    env["PITSTOP_ENGINE_STRICT"] = "1"  # the offline engine refuses what OpenAI refuses
    return env


async def test_dev_prints_ready_serves_calls_and_stops_cleanly(tmp_path):
    workdir = tmp_path / ".pitstop"
    dev = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pitstop.cli",
        "dev",
        "--http-port",
        "0",
        "--bridge-port",
        "0",
        "--engine-port",
        "0",
        "--dynamodb-port",
        "0",
        "--workdir",
        str(workdir),
        env=_clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    printed: list[str] = []
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def read_output() -> None:  # keep draining: a full pipe would stall the stack
        while line := (await dev.stdout.readline()).decode():
            printed.append(line)
            if line.startswith("ready") and not ready.done():
                ready.set_result(line)
        if not ready.done():
            ready.set_exception(
                AssertionError("pitstop dev exited before it was ready:\n" + "".join(printed))
            )

    reader = asyncio.create_task(read_output())
    try:
        line = await asyncio.wait_for(ready, 60)
        fields = dict(part.split("=", 1) for part in line.split()[1:])
        output = "".join(printed)
        assert DEV_TWILIO_AUTH_TOKEN in output and "pitstop call" in output
        assert "offline engine" in output

        # A signed webhook request gets the stream TwiML pointing at the bridge.
        form = {
            "CallSid": "CAdevtest",
            "AccountSid": "AC0",
            "From": "+15551230001",
            "To": "+15005550006",
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        url = f"{fields['http']}/voice"
        signature = RequestValidator(DEV_TWILIO_AUTH_TOKEN).compute_signature(url, form)
        async with httpx.AsyncClient() as http:
            answer = await http.post(url, data=form, headers={"X-Twilio-Signature": signature})
            forged = await http.post(url, data=form, headers={"X-Twilio-Signature": "forged"})
        assert answer.status_code == 200 and fields["bridge"] in answer.text
        assert forged.status_code == 403

        # The handoff rings the shop only in opening hours; the test runs at any hour.
        open_round_the_clock_today(
            Crm(Settings(dynamodb_endpoint=fields["dynamodb"], table_name="pitstop"))
        )

        # `pitstop call` finds the running stack by itself (.pitstop/dev.json in its cwd).
        call = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pitstop.cli",
            "call",
            "--scenario",
            "handoff",
            "--speed",
            "2",
            cwd=tmp_path,
            env=_clean_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(call.communicate(), 90)
        text = out.decode()
        assert call.returncode == 0, text
        assert "Caller: Can I talk to a real person please?" in text
        assert "scenario passed" in text and "<Dial" in text
        assert list((tmp_path / ".pitstop" / "calls").glob("*.wav"))
    finally:
        if dev.returncode is None:
            dev.send_signal(signal.SIGTERM)
        await asyncio.wait_for(dev.wait(), 30)
        await reader
    assert dev.returncode == 0, "".join(printed)
    assert printed[-1].strip() == "stopped"
    assert not (workdir / "dev.json").exists()
