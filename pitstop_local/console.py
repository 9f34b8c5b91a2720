"""The console on the local stack: the same static files, the same admin handlers, a stand-in
sign-in and a stand-in for the WebSocket API.

- Sign-in: `POST /auth` speaks Cognito's `InitiateAuth` and `RespondToAuthChallenge`, so the
  front end signs in the same way in AWS and here (`pitstop_local.signin`: development logins,
  an invited one that must choose a new password, development tokens).
- Admin API: `/admin/...` is verified as API Gateway's JWT authorizer does (`authorize`: no or bad
  token → 401 before the Lambda runs; the claims in `requestContext.authorizer.jwt.claims`, list
  claims flattened to `"[a b]"` as an HTTP API passes them) and handed to the very Lambda handler.
- Live view: `LiveServer` is a WebSocket server with the WebSocket API's contract (token in the
  query string at connect, then JSON messages), fed by tailing moto's DynamoDB Stream of the table
  (`dynamodbstreams` GetRecords), with the same `live_messages` the fan-out Lambda uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import mimetypes
import os
import threading
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.http11 import Request, Response

from pitstop.admin.live import live_messages
from pitstop.config import Settings
from pitstop.recordings import ENV_RECORDINGS_DIR
from pitstop_local.http import _LambdaRequestHandler
from pitstop_local.signin import CLIENT_ID, INVITED_USER, DevUserPool, verify_token

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"
RECORDINGS_PATH = "/recordings/"  # the admin API's local recording links (functions/admin/calls)
STREAM_POLL_SECONDS = 0.25
_log = logging.getLogger(__name__)


# ---- the authorizer ---------------------------------------------------------------------------
def http_api_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as an HTTP API's JWT authorizer passes them: every value a string, lists `[a b]`."""
    return {
        k: "[" + " ".join(map(str, v)) + "]" if isinstance(v, list) else str(v)
        for k, v in claims.items()
    }


def authorize(event: dict[str, Any]) -> dict[str, Any] | None:
    """What API Gateway's JWT authorizer does: 401 (returned) or the claims put in the event."""
    header = event.get("headers", {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    claims = verify_token(token) if scheme.lower() == "bearer" else None
    if claims is None:
        return {
            "statusCode": 401,
            "headers": {"content-type": "application/json", "www-authenticate": "Bearer"},
            "body": json.dumps({"message": "Unauthorized"}),
        }
    event["requestContext"]["authorizer"] = {
        "jwt": {"claims": http_api_claims(claims), "scopes": None}
    }
    return None


# ---- the web server ---------------------------------------------------------------------------
class _ConsoleRequestHandler(_LambdaRequestHandler):
    """Static console files, `config.json`, `POST /auth`; `/admin/...` goes to the Lambda."""

    server: ConsoleServer

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/admin/") or path == "/admin":
            super()._serve()  # the Lambda adapter: JWT check, then the admin handler
        elif path == "/auth" and self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                body = {}
            status, answer = self.server.users.handle(self.headers.get("X-Amz-Target", ""), body)
            self._send(status, json.dumps(answer).encode(), "application/x-amz-json-1.1")
        elif path == "/config.json":
            self._send(200, json.dumps(self.server.config).encode(), "application/json")
        elif path.startswith(RECORDINGS_PATH) and self.command in ("GET", "HEAD"):
            self._recording(path.removeprefix(RECORDINGS_PATH))
        elif self.command in ("GET", "HEAD"):
            self._static(path)
        else:
            self._send(405, b"method not allowed", "text/plain")

    def _static(self, path: str) -> None:
        relative = path.lstrip("/") or "index.html"
        file = (CONSOLE_DIR / relative).resolve()
        if not file.is_relative_to(CONSOLE_DIR) or not file.is_file():
            file = CONSOLE_DIR / "index.html"  # the console's own router handles the rest
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._send(200, file.read_bytes(), kind)

    def _recording(self, key: str) -> None:
        """A call recording from the local stack's folder, where AWS presigns an S3 URL (the
        admin API's `/admin/calls/<sid>/recording` links here; issue 16)."""
        folder = os.environ.get(ENV_RECORDINGS_DIR)
        root = Path(folder).resolve() if folder else None
        file = (root / key).resolve() if root else None
        if root is None or file is None or not file.is_relative_to(root) or not file.is_file():
            self._send(404, b"no such recording", "text/plain")
            return
        self._send(200, file.read_bytes(), mimetypes.guess_type(file.name)[0] or "audio/wav")

    # The base class bound its own `_serve` to the verbs; bind this one.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("cache-control", "no-store")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class ConsoleServer(ThreadingHTTPServer):
    """The console's web origin on the local stack; `url` once started."""

    daemon_threads = True

    def __init__(self, host: str, port: int, live_url: str):
        super().__init__((host, port), _ConsoleRequestHandler)
        self.users = DevUserPool()
        self.config = {
            "environment": "local",
            "liveUrl": live_url,
            "auth": {"endpoint": "/auth", "clientId": CLIENT_ID},
        }
        self._thread = threading.Thread(target=self.serve_forever, name="console", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ConsoleServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self._thread.join()
        self.server_close()


# ---- the live view ----------------------------------------------------------------------------
class StreamTail:
    """New records of the table's DynamoDB Stream (enabled here; CDK enables it in AWS)."""

    def __init__(self, settings: Settings):
        endpoint, region = settings.dynamodb_endpoint, settings.aws_region
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=region)
        description = dynamodb.describe_table(TableName=settings.table_name)["Table"]
        arn = description.get("LatestStreamArn")
        if not description.get("StreamSpecification", {}).get("StreamEnabled"):
            arn = dynamodb.update_table(
                TableName=settings.table_name,
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            )["TableDescription"]["LatestStreamArn"]
        self.stream_arn = str(arn)  # the after-call poller names it as Lambda's event does
        self._streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=region)
        shards = self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self._iterators = [
            self._streams.get_shard_iterator(
                StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for s in shards
        ]

    def poll(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for index, iterator in enumerate(self._iterators):
            page = self._streams.get_records(ShardIterator=iterator)
            records += page.get("Records", [])
            self._iterators[index] = page.get("NextShardIterator") or iterator
        return records


class LiveServer:
    """The WebSocket API's stand-in: `ws://host:port/live?token=…`, then JSON messages."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._clients: set[ServerConnection] = set()
        self._server: Server | None = None
        self._tail_task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}/live"

    async def start(self, host: str, port: int) -> LiveServer:
        tail = await asyncio.to_thread(StreamTail, self._settings)
        self._server = await serve(self._connection, host, port, process_request=self._connect)
        self._tail_task = asyncio.create_task(self._tail(tail))
        return self

    async def stop(self) -> None:
        if self._tail_task is not None:
            self._tail_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail_task
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @staticmethod
    def _connect(connection: ServerConnection, request: Request) -> Response | None:
        """`$connect`: refuse a missing or invalid token before the upgrade, as API Gateway."""
        query = parse_qs(urlsplit(request.path).query)
        token = (query.get("token") or [""])[0]
        if urlsplit(request.path).path != "/live" or verify_token(token) is None:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
        return None

    async def _connection(self, connection: ServerConnection) -> None:
        self._clients.add(connection)
        try:
            await connection.wait_closed()
        finally:
            self._clients.discard(connection)

    async def _tail(self, tail: StreamTail) -> None:
        while True:
            try:
                records = await asyncio.to_thread(tail.poll)
                for message in live_messages(records):
                    self.broadcast(message)
            except Exception:  # noqa: BLE001 - one bad batch must not end the live view
                _log.exception("reading the table's stream failed")
            await asyncio.sleep(STREAM_POLL_SECONDS)

    def broadcast(self, message: dict[str, Any]) -> None:
        """To every open connection; a slow or closed one is skipped, never waited for."""
        broadcast(self._clients, json.dumps(message))


class LocalConsole:
    """The console's web origin and its live view, started together for `pitstop dev`."""

    def __init__(self, web: ConsoleServer, live: LiveServer):
        self.web, self.live = web, live

    @property
    def url(self) -> str:
        return self.web.url + "/"

    @classmethod
    async def start(cls, settings: Settings, host: str, port: int, live_port: int) -> LocalConsole:
        live = await LiveServer(settings).start(host, live_port)
        try:
            web = ConsoleServer(host, port, live.url).start()
        except BaseException:
            await live.stop()
            raise
        return cls(web, live)

    async def stop(self) -> None:
        await asyncio.to_thread(self.web.stop)
        await self.live.stop()

    def describe(self) -> list[str]:
        logins = "  or  ".join(f"{user} / {password}" for user, password in self.web.users.logins())
        return [
            f"console           {self.url}  (live view {self.live.url})",
            f"console login     {logins}  (development logins; {INVITED_USER} must choose a new"
            " password)",
        ]
