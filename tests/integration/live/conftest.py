"""The live-view Lambdas against moto over HTTP (DynamoDB, its stream, Cognito) and a strict
stand-in for one client moto cannot play: `@connections`.

moto's `apigatewaymanagementapi` accepts a post to any connection id (it never answers
`GoneException`) and keeps no readable record of what was posted, so the test server below speaks
the real service's wire contract instead: `POST /<stage>/@connections/<id>` signed with SigV4 for
`execute-api`, the raw message as the body, 200 with an empty body for an open connection, 410
with `x-amzn-ErrorType: GoneException` for one that is gone.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import boto3
import pytest

from functions.live import services
from pitstop import config
from pitstop.dal import Crm
from pitstop.models import CallDirection, CallRecord, CallStatus
from pitstop_local.http import LocalLambdaContext

STAGE = "live"
REGION = "us-east-1"


@dataclass
class Connections:
    """What API Gateway holds: open connection ids, and the frames each one received."""

    open: set[str] = field(default_factory=set)
    received: dict[str, list[bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ManagementApi(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        prefix = f"/{STAGE}/@connections/"
        auth = self.headers.get("authorization", "")
        if not self.path.startswith(prefix) or f"/{REGION}/execute-api/" not in auth:
            self._answer(403, "ForbiddenException")
            return
        connection_id = unquote(self.path.removeprefix(prefix))
        data = self.rfile.read(int(self.headers.get("content-length") or 0))
        with self.server.state.lock:
            if connection_id not in self.server.state.open:
                self._answer(410, "GoneException")
                return
            self.server.state.received.setdefault(connection_id, []).append(data)
        self._answer(200, None)

    def _answer(self, status: int, error: str | None) -> None:
        body = b"" if error is None else b'{"message":null}'
        self.send_response(status)
        if error is not None:
            self.send_header("x-amzn-ErrorType", error)
            self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ManagementApi)
        self.state = Connections()


@pytest.fixture
def management_api() -> Iterator[tuple[str, Connections]]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield f"http://{host!s}:{port}/{STAGE}", server.state
    server.shutdown()
    thread.join()
    server.server_close()


@dataclass(frozen=True)
class Pool:
    pool_id: str
    client_id: str
    client: Any

    def token(self, username: str, groups: list[str], password: str = "Corr3ct-Horse!") -> str:
        """A real (moto) Cognito access token of a user in `groups`, by USER_PASSWORD_AUTH."""
        self.client.admin_create_user(UserPoolId=self.pool_id, Username=username)
        self.client.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=password, Permanent=True
        )
        for group in groups:
            self.client.admin_add_user_to_group(
                UserPoolId=self.pool_id, Username=username, GroupName=group
            )
        answer = self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return str(answer["AuthenticationResult"]["AccessToken"])


def _pool(client: Any) -> Pool:
    pool_id = client.create_user_pool(PoolName=f"staff-{uuid.uuid4().hex[:6]}")["UserPool"]["Id"]
    for group in ("owners", "advisors"):
        client.create_group(UserPoolId=pool_id, GroupName=group)
    app = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["USER_PASSWORD_AUTH"]
    )
    return Pool(pool_id, app["UserPoolClient"]["ClientId"], client)


@pytest.fixture
def live_env(settings, dynamodb_endpoint, management_api, monkeypatch) -> Iterator[dict[str, Any]]:
    """The functions' environment as the stack sets it, pointed at moto and the stand-in."""
    cognito = boto3.client("cognito-idp", endpoint_url=dynamodb_endpoint, region_name=REGION)
    pool, other_pool = _pool(cognito), _pool(cognito)
    endpoint, connections = management_api
    for name, value in {
        "PITSTOP_TABLE": settings.table_name,
        "PITSTOP_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": dynamodb_endpoint,
        "PITSTOP_USER_POOL_ID": pool.pool_id,
        "PITSTOP_USER_POOL_CLIENT_ID": pool.client_id,
        "PITSTOP_LIVE_ENDPOINT": endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    caches = (
        config.get_settings,
        services.live_settings,
        services.cognito,
        services.management_api,
    )
    for cache in caches:
        cache.cache_clear()
    yield {"pool": pool, "other_pool": other_pool, "connections": connections}
    for cache in caches:
        cache.cache_clear()


def context(name: str) -> LocalLambdaContext:
    return LocalLambdaContext(function_name=name)


def websocket_event(route: str, connection_id: str, query: dict[str, str] | None = None) -> dict:
    """A $connect / $disconnect event as API Gateway's WebSocket API sends it to a Lambda."""
    now = datetime.now(UTC)
    context: dict[str, Any] = {
        "routeKey": route,
        "eventType": route.removeprefix("$").upper(),
        "extendedRequestId": "Abc123=",
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": int(now.timestamp() * 1000),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
        "requestId": "Abc123=",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "connectionId": connection_id,
        "apiId": "abc123",
    }
    if route == "$disconnect":
        context |= {"disconnectStatusCode": 1001, "disconnectReason": "Going away"}
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com"}
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def call_through_its_life(crm: Crm, call_sid: str) -> None:
    """A call as the webhook, the bridge and Twilio write it: ringing, the stream starts, the
    bridge's last write (the outcome), Twilio's final status callback."""
    record = CallRecord(
        call_sid=call_sid,
        direction=CallDirection.INBOUND,
        customer_number="+15551230001",
        status=CallStatus.RINGING,
        started_at=datetime.now(UTC),
        stream_token_id=f"tok-{call_sid}",
    )
    crm.calls.open_stream(record, datetime.now(UTC))
    assert crm.calls.claim_stream(call_sid, f"tok-{call_sid}", datetime.now(UTC)) is not None
    assert crm.calls.finish_stream(call_sid, f"tok-{call_sid}", {"outcome": "booked"})
    assert crm.calls.update_status(call_sid, CallStatus.COMPLETED, {"duration_seconds": 42})
