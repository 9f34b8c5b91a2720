"""The agent's tools: argument/result models, generated function definitions, and `run_tool`.

Start from `definitions()` (what the model is offered) and `run_tool()` (what happens when it
calls one). Domain refusals are ordinary results with `ok: false`; only unknown tools
(`UnknownTool`) and bad arguments (pydantic `ValidationError`) raise.
"""

from pitstop.tools.context import ToolContext
from pitstop.tools.registry import TOOLS, UnknownTool, definitions, run_tool

__all__ = ["TOOLS", "ToolContext", "UnknownTool", "definitions", "run_tool"]
