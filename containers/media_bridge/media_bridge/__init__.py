"""The media bridge: Twilio Media Streams ⇄ OpenAI Realtime, one process carrying many calls.

Public API for the local stack and tests:

    bridge = await Bridge(settings).start(host="127.0.0.1", port=8765)
    ...
    await bridge.drain(deadline_seconds=5)   # what SIGTERM does
    await bridge.stop()

or `await run_bridge(settings, host, port)` which starts one and returns it.
"""

from media_bridge.config import BridgeOptions
from media_bridge.server import Bridge, run_bridge
from media_bridge.tools_client import HttpToolsClient, ToolError, ToolsClient

__all__ = ["Bridge", "BridgeOptions", "HttpToolsClient", "ToolError", "ToolsClient", "run_bridge"]
