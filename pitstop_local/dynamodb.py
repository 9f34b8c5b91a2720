"""DynamoDB for the local stack: moto in server mode, over real HTTP on a local port.

moto evaluates a conditional write as read-then-write in Python with no lock, so two request
threads can both pass a condition. Real DynamoDB serialises writes to an item; we restore that
guarantee by serialising requests (moto is in-memory, so this costs microseconds), which keeps the
booking race honest locally.
"""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


class _Serialised:
    """WSGI middleware: one request at a time, as far as moto's backend is concerned."""

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            return list(self._app(environ, start_response))


class LocalDynamoDB:
    """moto's DynamoDB server in a background thread; `endpoint` is its URL once started."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        app = _Serialised(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            host, port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="moto-dynamodb", daemon=True
        )

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalDynamoDB:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
