"""`python -m media_bridge`: serve until SIGTERM/SIGINT, then drain and stop.

Configuration comes from the environment (PITSTOP_REALTIME_URL, OPENAI_API_KEY, PITSTOP_TOOLS_URL,
PITSTOP_BRIDGE_PORT, …; see pitstop.config and media_bridge.config).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
from concurrent.futures import ThreadPoolExecutor

import uvloop

from media_bridge.config import BridgeOptions
from media_bridge.observability import logger
from media_bridge.server import Bridge
from pitstop.config import get_settings


async def main(host: str, port: int | None) -> None:
    # DynamoDB and Twilio REST calls run in threads; the default pool (cpu + 4) would make
    # hundreds of calls queue behind each other's record writes.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=32))
    bridge = await Bridge(get_settings(), BridgeOptions()).start(host, port)
    # What start-up loaded (modules, models) lives as long as the process: out of the cyclic
    # collector's sight, its passes cost what the calls allocate, not the whole heap.
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # The operator's (and tests/bench/bridge.py's) sign that the bridge is up, on stdout.
    print(f"media bridge on {bridge.url} (health {bridge.health_url})", flush=True)
    await stop.wait()
    logger.info("signal received; draining")
    await bridge.drain()
    await bridge.stop()


def cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m media_bridge", description=__doc__)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=None, help="default: PITSTOP_BRIDGE_PORT")
    args = parser.parse_args()
    uvloop.run(main(args.host, args.port))  # libuv's loop: the sockets' reads and writes in C


if __name__ == "__main__":
    cli()
