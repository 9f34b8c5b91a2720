"""How the bridge reaches the tools API: a small interface and its HTTP implementation.

In AWS the tools Lambda sits behind a function URL with AWS_IAM auth, so requests are SigV4
signed with the task role; locally the same API wants a bearer token. Tests can plug any object
with the same three methods.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Protocol

import httpx

from pitstop.config import Settings

if TYPE_CHECKING:
    from botocore.credentials import Credentials


class ToolError(Exception):
    """The tools API did not give a result (unreachable, 4xx/5xx, bad JSON)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ToolsClient(Protocol):
    async def definitions(self) -> list[dict]:
        """The tools as Realtime function tools: [{"type":"function","name",...}]."""

    async def call(self, name: str, arguments: dict, context: dict) -> dict:
        """Run tool `name`; returns its `result` object or raises `ToolError`."""

    async def aclose(self) -> None: ...


class HttpToolsClient:
    """The tools API over HTTP (`GET /tools`, `POST /tools/{name}`)."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: str = "token",
        token: str | None = None,
        region: str = "us-east-1",
        timeout: float = 8.0,
        client: httpx.AsyncClient | None = None,
    ):
        self._base = base_url.rstrip("/")
        self._auth = auth
        self._token = token
        self._region = region
        self._client = client or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=100, max_keepalive_connections=20)
        )
        self._credentials: Credentials | None = None

    @classmethod
    def from_settings(cls, settings: Settings, timeout: float = 8.0) -> HttpToolsClient:
        return cls(
            settings.tools_url,
            auth=settings.tools_auth,
            token=settings.tools_token,
            region=settings.aws_region,
            timeout=timeout,
        )

    async def definitions(self) -> list[dict]:
        body = await self._request("GET", self._base, None)
        tools = body.get("tools")
        if not isinstance(tools, list):
            raise ToolError("tool_failed", "GET /tools did not return a list")
        return tools

    async def call(self, name: str, arguments: dict, context: dict) -> dict:
        body = await self._request(
            "POST", f"{self._base}/{name}", {"arguments": arguments, "context": context}
        )
        result = body.get("result")
        if not isinstance(result, dict):
            raise ToolError("tool_failed", "no result object")
        return result

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(self, method: str, url: str, payload: dict | None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else b""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._auth == "iam":
            headers = await asyncio.to_thread(self._sigv4, method, url, data, headers)
        elif self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = await self._client.request(
                method, url, content=data or None, headers=headers
            )
        except httpx.TimeoutException as error:
            raise ToolError("tool_timeout", str(error) or "timed out") from error
        except httpx.HTTPError as error:
            raise ToolError("tool_unreachable", str(error)) from error
        if response.status_code == 422:
            raise ToolError("invalid_arguments", response.text[:500])
        if response.status_code == 404:
            raise ToolError("unknown_tool", response.text[:200])
        if response.status_code != 200:
            raise ToolError("tool_failed", f"HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise ToolError("tool_failed", "response is not JSON") from error

    def _sigv4(self, method: str, url: str, data: bytes, headers: dict) -> dict:
        # Signed in a worker thread: a credentials refresh (task role) may do network I/O.
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.session import get_session

        if self._credentials is None:
            self._credentials = get_session().get_credentials()
        if self._credentials is None:
            raise ToolError("tool_unreachable", "no AWS credentials to sign the request with")
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        credentials = self._credentials.get_frozen_credentials()
        SigV4Auth(credentials, "lambda", self._region).add_auth(request)
        return dict(request.headers.items())
