"""The local HTTP adapter: serves the Lambda handlers over real HTTP, as API Gateway would.

Each request becomes the payload v2 event that API Gateway's HTTP API (the webhook) or a
function URL (the tools) would send, and is handed to the very `lambda_handler` that runs in
AWS: `/tools` and `/tools/...` to the tools function, everything else to the webhook. No route
is implemented here, so what works locally is what is deployed. The event shape is checked
against Powertools' own models in tests/unit/local/test_http_adapter.py.
"""

from __future__ import annotations

import base64
import importlib
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, urlsplit

WEBHOOK_HANDLER = "functions.webhook.handler"
TOOLS_HANDLER = "functions.tools.handler"
ADMIN_HANDLER = "functions.admin.handler"
# Bodies API Gateway passes as text; anything else (form posts included) arrives base64-encoded.
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


def handler_module_for(path: str) -> str:
    """Which Lambda serves `path`: tools under `/tools`, the console's admin API under `/admin`,
    the webhook for the rest."""
    if path == "/admin" or path.startswith("/admin/"):
        return ADMIN_HANDLER
    return TOOLS_HANDLER if path == "/tools" or path.startswith("/tools/") else WEBHOOK_HANDLER


@dataclass
class LocalLambdaContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "local"
    log_stream_name: str = "local"
    timeout_ms: int = 30_000
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_ms / 1000
        self.invoked_function_arn = (
            f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def build_event(
    method: str,
    target: str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
) -> dict:
    """The payload v2 event for one HTTP request (`target` = path?query).

    API Gateway's HTTP API (the webhook) and a function URL (the tools) send the same payload v2
    shape: header names lower-cased, repeated headers and query values comma-joined, cookies
    lifted out of the headers into `cookies`, text bodies as text and the rest base64-encoded.
    `headers` may repeat a name (pairs), as they arrive on the wire.
    """
    parts = urlsplit(target)
    path, raw_query = parts.path or "/", parts.query
    lowered, cookies = _v2_headers(headers.items() if isinstance(headers, Mapping) else headers)
    is_text = not body or lowered.get("content-type", "").startswith(_TEXT_TYPES)
    domain = urlsplit(f"//{lowered.get('host', '')}").hostname or "localhost"  # never a port
    now = time.time()
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query := _comma_joined(parse_qsl(raw_query, keep_blank_values=True)):
        event["queryStringParameters"] = query
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode("ascii")
    return event


def _comma_joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Repeated names become one comma-joined value, as payload v2 carries them."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _v2_headers(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Lower-cased, comma-joined headers, and the request's cookies lifted out of `cookie`."""
    lowered = [(name.lower(), value) for name, value in pairs]
    cookies = [
        cookie.strip()
        for name, value in lowered
        if name == "cookie"
        for cookie in value.split(";")
        if cookie.strip()
    ]
    return _comma_joined(pair for pair in lowered if pair[0] != "cookie"), cookies


def invoke(event: dict) -> dict:
    """Run the Lambda that owns the event's path, exactly as Lambda would call it."""
    module_name = handler_module_for(event["rawPath"])
    if module_name == ADMIN_HANDLER:  # API Gateway's JWT authorizer runs before the Lambda
        from pitstop_local.console import authorize

        if (refused := authorize(event)) is not None:
            return refused
    module = importlib.import_module(module_name)
    context = LocalLambdaContext(function_name=module_name.split(".")[1])
    return module.lambda_handler(event, context)


class _LambdaRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pitstop-local"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        event = build_event(
            self.command,
            self.path,
            self.headers.items(),
            body,
            source_ip=self.client_address[0],
        )
        try:
            result = invoke(event)
        except Exception as error:  # noqa: BLE001 - Lambda turns a crash into a 500 too
            self.log_error("handler crashed: %r", error)
            result = {
                "statusCode": 500,
                "headers": {"content-type": "text/plain"},
                "body": "Internal Server Error",
            }
        self._reply(result)

    def _reply(self, result: dict) -> None:
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
        self.send_response(int(result.get("statusCode", 200)))
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(name, value)
        for name, value in headers.items():
            if name not in ("content-length", "connection"):
                self.send_header(name, value)
        for cookie in result.get("cookies") or []:
            self.send_header("set-cookie", cookie)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        # The handlers log structured JSON themselves; access lines would only add noise.
        pass


class _ThreadingServer(ThreadingHTTPServer):
    # The default listen backlog of 5 drops connections the moment a few dozen arrive at once
    # (a load test, or many simulated calls starting together); API Gateway queues them.
    request_queue_size = 128
    daemon_threads = True


class LambdaHttpServer:
    """A threading HTTP server in front of the Lambda handlers; `url` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000):
        self._server = _ThreadingServer((host, port), _LambdaRequestHandler)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Serve in a background thread (idempotent); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="pitstop-http", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_lambdas(host: str = "127.0.0.1", port: int = 8000) -> LambdaHttpServer:
    """Start serving the webhook and tools Lambdas on `host:port` (port 0 = any free port)."""
    return LambdaHttpServer(host, port).start()
