"""JSON for the per-frame hot path: orjson when installed, the standard library otherwise.

Both directions parse one JSON message per 20 ms frame per call; orjson parses these several
times faster (see tests/bench/bridge.py). Output is always `str`, the type a WebSocket text frame
wants.
"""

from __future__ import annotations

try:  # pragma: no cover - which branch runs depends on the environment
    import orjson as _orjson

    loads = _orjson.loads

    def dumps(value) -> str:
        return _orjson.dumps(value).decode()

    BACKEND = "orjson"
except ImportError:  # pragma: no cover
    import json as _json

    loads = _json.loads
    _encoder = _json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    dumps = _encoder.encode
    BACKEND = "json"

JSONDecodeError = ValueError  # both backends raise a ValueError subclass

__all__ = ["BACKEND", "JSONDecodeError", "dumps", "loads"]
