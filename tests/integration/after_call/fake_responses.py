"""A strict stand-in for OpenAI's Responses API (`POST /v1/responses`), over real HTTP.

Strict where the real service is: a bearer key is required, an unknown body parameter is a 400
(`invalid_request_error`, as OpenAI answers "Unknown parameter"), a structured output must be a
strict JSON schema (every property required, no additional properties), and the answer it
gives is validated against the schema the request sent before it is returned, in the shape the
real API returns (`output[].content[].output_text` holding the JSON), checked by the SDK's own
`Response` model.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema
from openai.types.responses import Response
from openai.types.responses.response_create_params import ResponseCreateParamsBase

KNOWN_PARAMETERS = frozenset(ResponseCreateParamsBase.__annotations__) | {"stream"}
API_KEY = "sk-test-after-call"


def strict_schema_problem(schema: dict[str, Any]) -> str | None:
    """What strict structured outputs refuse in `schema`, or None (checked recursively)."""
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return "additionalProperties must be false"
        if sorted(schema.get("required", [])) != sorted(properties):
            return "every property must be required"
        for sub in properties.values():
            problem = strict_schema_problem(sub)
            if problem:
                return problem
    for sub in schema.get("$defs", {}).values():
        problem = strict_schema_problem(sub)
        if problem:
            return problem
    return None


class _Handler(BaseHTTPRequestHandler):
    server: FakeResponses

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        self.server.requests.append(body)
        if self.path != "/v1/responses":
            return self._error(404, f"Invalid URL (POST {self.path})", None)
        if self.headers.get("authorization") != f"Bearer {API_KEY}":
            return self._error(401, "Incorrect API key provided", None)
        if self.server.fail_with:
            return self._error(self.server.fail_with, "The server had an error", None)
        unknown = sorted(set(body) - KNOWN_PARAMETERS)
        if unknown:
            return self._error(400, f"Unknown parameter: '{unknown[0]}'.", unknown[0])
        fmt = (body.get("text") or {}).get("format") or {}
        if fmt.get("type") != "json_schema" or fmt.get("strict") is not True:
            return self._error(400, "text.format must be a strict json_schema", "text.format")
        problem = strict_schema_problem(fmt["schema"])
        if problem:
            return self._error(400, f"Invalid schema for response_format: {problem}", "text")
        jsonschema.validate(self.server.answer, fmt["schema"])
        self._json(200, self._response(body, fmt))

    def _response(self, body: dict[str, Any], fmt: dict[str, Any]) -> dict[str, Any]:
        reply = {
            "id": "resp_" + uuid.uuid4().hex,
            "object": "response",
            "created_at": 1764690000,
            "status": "completed",
            "model": body["model"] + "-2025-04-14",
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "output": [
                {
                    "type": "message",
                    "id": "msg_" + uuid.uuid4().hex,
                    "status": "completed",
                    "role": "assistant",
                    "content": [
                        {
                            "type": "output_text",
                            "text": json.dumps(self.server.answer),
                            "annotations": [],
                            "logprobs": [],
                        }
                    ],
                }
            ],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "temperature": 1.0,
            "top_p": 1.0,
            "store": body.get("store", True),
            "text": {"format": fmt},
            "error": None,
            "incomplete_details": None,
            "metadata": {},
            "usage": {
                "input_tokens": 420,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 60,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 480,
            },
        }
        Response.model_validate(reply)  # the SDK's own model of a response
        return reply

    def _error(self, status: int, message: str, param: str | None) -> None:
        error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
        self._json(status, {"error": error})

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeResponses(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: dict[str, Any]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.fail_with: int | None = None
        self.requests: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> FakeResponses:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
