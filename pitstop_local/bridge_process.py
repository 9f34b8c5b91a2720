"""The media bridge as the local stack runs it: `python -m media_bridge` in a child process.

Production runs the bridge as its own process (one Fargate container); so does the local stack,
so that moto, the Lambdas and the engine sharing one interpreter never starve the bridge's
event loop. The child gets the environment the stack exports (the PITSTOP_* variables the CDK
stack gives the container), listens on the port asked for (0: any free one) and says where on
its start-up line, which is how the stack learns its URL. Everything it prints goes to a log
file; if it dies before that line, the error carries the tail of its stderr.

Its EMF metric lines (Powertools, on stdout as in CloudWatch) are also kept in memory, so
tests can read what the bridge counted without reaching into its process (`MetricsWatch`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Self

START_TIMEOUT = 30.0  # importing the bridge and binding its port; seconds
FLUSH_WAIT = 10.0  # seconds for the bridge's next metrics flush (every second locally)
STDERR_TAIL = 40  # lines of stderr quoted when the bridge dies early
# After SIGTERM the bridge drains (PITSTOP_BRIDGE_DRAIN_SECONDS), hands off what is left and
# waits for those calls to close (≤ 15 s): past this it is killed.
STOP_GRACE = 20.0
# `print(f"media bridge on {bridge.url} (health {bridge.health_url})")` in media_bridge.__main__
_STARTED = re.compile(r"media bridge on (ws://\S+)")


class BridgeFailed(RuntimeError):
    """The bridge process exited, or never said it was listening."""


class BridgeProcess:
    """One `python -m media_bridge` child: `await BridgeProcess(...).start()`, then `stop()`."""

    def __init__(self, host: str, port: int, env: Mapping[str, str], log_path: Path):
        self.host = host
        self.port = port
        self.env = dict(env)
        self.log_path = log_path
        self.url = ""
        self.metrics: list[dict[str, Any]] = []  # EMF blobs, in the order the bridge printed
        self.metrics_added = asyncio.Condition()
        self._process: asyncio.subprocess.Process | None = None
        self._pumps: list[asyncio.Task[None]] = []
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL)
        self._log: IO[str] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise BridgeFailed("the bridge process is not running")
        return self._process.pid

    @property
    def task_id(self) -> str:
        """The id the bridge beats under (`media_bridge.server.Bridge.task_id`)."""
        return f"{socket.gethostname()}-{self.pid}"

    async def start(self) -> Self:
        """Spawn the bridge and wait for its start-up line (its URL); BridgeFailed if it dies
        or stays silent for START_TIMEOUT seconds."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", encoding="utf-8")
        self._stderr.clear()
        process = self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "media_bridge",
            "--host",
            self.host,
            "--port",
            str(self.port),
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches the stack, which stops the bridge itself
        )
        started: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        assert process.stdout is not None
        assert process.stderr is not None
        self._pumps = [
            asyncio.create_task(self._pump_stdout(process.stdout, started)),
            asyncio.create_task(self._pump_stderr(process.stderr)),
        ]
        exited = asyncio.create_task(process.wait())
        try:
            done, _ = await asyncio.wait(
                {started, exited}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
        if started in done:
            self.url = started.result()
            self.port = int(self.url.rsplit(":", 1)[1].split("/", 1)[0])
            return self
        started.cancel()
        status = process.returncode
        await self._end(kill=True)
        why = (
            f"exited with status {status}"
            if status is not None
            else f"did not start within {START_TIMEOUT:.0f} s"
        )
        raise BridgeFailed(f"the media bridge {why}; {self.describe_failure()}")

    def describe_failure(self) -> str:
        """The tail of the bridge's stderr and where its whole log is."""
        tail = "".join(self._stderr).rstrip() or "(nothing on stderr)"
        return f"its last lines on stderr:\n{tail}\n(whole log: {self.log_path})"

    async def wait(self) -> int:
        """Wait until the process ends (a crash, or `stop`); its exit status."""
        if self._process is None:
            raise BridgeFailed("the bridge process is not running")
        return await self._process.wait()

    def kill(self) -> None:
        """SIGKILL: the bridge dies at once, as a crashed container does (no drain, no writes)."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()

    async def pause(self) -> None:
        """SIGSTOP: the bridge stops doing anything (no heartbeat), until `resume`. Returns once
        the kernel shows it stopped (a signal is delivered asynchronously), where /proc says."""
        self._signal(signal.SIGSTOP)
        stat = Path(f"/proc/{self.pid}/stat")
        if not await asyncio.to_thread(stat.exists):
            return
        async with asyncio.timeout(STOP_GRACE):
            while True:
                if await asyncio.to_thread(_stopped, stat):
                    return
                await asyncio.sleep(0.01)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    async def stop(self) -> None:
        """SIGTERM (the bridge drains, as on an ECS stop), then SIGKILL past STOP_GRACE."""
        await self._end(kill=False)

    async def _end(self, *, kill: bool) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            if kill:
                process.kill()
            else:
                process.send_signal(signal.SIGCONT)  # a paused bridge could not drain
                process.terminate()
            try:
                async with asyncio.timeout(STOP_GRACE):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        for pump in self._pumps:
            with contextlib.suppress(Exception):
                await pump
        self._pumps = []
        if self._log is not None:
            self._log.close()
            self._log = None

    def _signal(self, sig: signal.Signals) -> None:
        if self._process is not None and self._process.returncode is None:
            os.kill(self._process.pid, sig)

    async def _pump_stdout(
        self, stream: asyncio.StreamReader, started: asyncio.Future[str]
    ) -> None:
        """Copy stdout to the log; note the start-up line and every EMF metric blob."""
        while line := (await stream.readline()).decode("utf-8", "replace"):
            self._write(line)
            if line.startswith('{"_aws"'):
                with contextlib.suppress(ValueError):
                    self.metrics.append(json.loads(line))
                async with self.metrics_added:
                    self.metrics_added.notify_all()
            elif not started.done() and (found := _STARTED.search(line)):
                started.set_result(found.group(1))

    async def _pump_stderr(self, stream: asyncio.StreamReader) -> None:
        while line := (await stream.readline()).decode("utf-8", "replace"):
            self._stderr.append(line)
            self._write(line)

    def _write(self, line: str) -> None:
        if self._log is not None:
            self._log.write(line)
            self._log.flush()


def _stopped(stat: Path) -> bool:
    """Is the process of /proc/<pid>/stat stopped (state T)?"""
    return stat.read_text().rsplit(")", 1)[1].split()[0] == "T"


class MetricsWatch:
    """What the bridge counts from now on, read from its EMF lines: `watch = stack.watch_metrics()`
    before the action, `await watch.flushed()` after it, then `watch.count(name)`.

    Counters reach the log when the bridge flushes (every PITSTOP_BRIDGE_METRICS_INTERVAL
    seconds locally); `flushed` waits for the first flush that began after it was called, so
    everything counted before that is in."""

    def __init__(self, bridge: BridgeProcess):
        self._bridge = bridge
        self._since = len(bridge.metrics)

    def blobs(self, name: str) -> list[dict[str, Any]]:
        """The EMF blobs since the watch began that carry metric `name`."""
        return [blob for blob in self._bridge.metrics[self._since :] if name in blob]

    def count(self, name: str) -> float:
        total = 0.0
        for blob in self.blobs(name):
            value = blob[name]
            total += sum(value) if isinstance(value, list) else value
        return total

    async def flushed(self) -> None:
        """Wait (at most FLUSH_WAIT s) for a periodic flush (it carries `LiveCalls`) stamped
        after this call began."""
        after_ms = time.time() * 1000

        def flushed_since() -> bool:
            return any(
                blob["_aws"].get("Timestamp", 0) >= after_ms
                for blob in self._bridge.metrics[self._since :]
                if "LiveCalls" in blob
            )

        added = self._bridge.metrics_added
        async with asyncio.timeout(FLUSH_WAIT), added:
            await added.wait_for(flushed_since)
