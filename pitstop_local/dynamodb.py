"""DynamoDB for the local stack: moto in server mode, over real HTTP on a local port.

moto evaluates a conditional write as read-then-write in Python with no lock, so two request
threads can both pass a condition. Real DynamoDB serialises writes to an item; we restore that
guarantee by serialising requests (moto is in-memory, so this costs microseconds), which keeps the
booking race honest locally. moto's backend is one per process, so every server in a process
shares one lock.

moto also prices requests unlike DynamoDB: every Query sorts the whole table before it looks at
the partition asked for, and every TransactWriteItems deep-copies the whole table (its rollback).
With a few thousand appointments one Query takes hundreds of milliseconds and one booking seconds,
which makes `pitstop dev` on a large table unusable and measures moto, not Pitstop. moto 5 has no
option for either, so `LocalDynamoDB` installs `_partition_scoped_moto` (once per process, before
it serves): the same answers, at DynamoDB's cost model (a Query reads its partition, a rollback
copies the partitions the transaction writes).
"""

from __future__ import annotations

import copy as real_copy
import inspect
import threading
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from moto.dynamodb import models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

# moto's backend is one per process, however many servers front it: one lock for them all.
_backend_lock = threading.Lock()


class _Scope(threading.local):
    """What the request being served (in this thread) is doing."""

    def __init__(self) -> None:
        self.querying = False
        self.partition: DynamoType | None = None
        self.touched: set[DynamoType] = set()


_scope = _Scope()
_install_lock = threading.Lock()
_installed: set[str] = set()  # "moto" once patched


def _partition_scoped_moto() -> None:
    """Patch moto's Table.query / all_items and its transaction rollback (idempotent).

    - A Query asks `all_items` for candidates and sorts and filters them itself afterwards
      (by range key, or by the index's keys), so while it runs `all_items` may hand back the
      one partition a base-table Query names, or every item unsorted for an index Query.
    - TransactWriteItems snapshots each table it writes to with `copy.deepcopy`; every write
      of a transaction lands in the partition its own key names, so a snapshot that shares the
      untouched partitions and deep-copies only the touched ones rolls back the same.
    """
    with _install_lock:
        if not _installed:
            _patch_query()
            _patch_rollback()
            _installed.add("moto")


def _patch_query() -> None:
    query, all_items = Table.query, Table.all_items
    signature = inspect.signature(query)

    def scoped_query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        _scope.partition = None if bound.get("index_name") else bound.get("hash_key")
        _scope.querying = True
        try:
            return query(self, *args, **kwargs)
        finally:
            _scope.querying, _scope.partition = False, None

    def candidate_items(self: Table) -> list[Any]:
        if not (_scope.querying and self.range_key_attr):
            return all_items(self)
        if _scope.partition is not None:
            return list(self.items.get(_scope.partition, {}).values())
        return [item for partition in self.items.values() for item in partition.values()]

    Table.query, Table.all_items = scoped_query, candidate_items  # type: ignore[method-assign]


def _patch_rollback() -> None:
    transact = models.DynamoDBBackend.transact_write_items

    def snapshot(obj: Any, memo: Any = None) -> Any:
        if not isinstance(obj, Table):
            return real_copy.deepcopy(obj, memo)
        copied = real_copy.copy(obj)
        copied.items = defaultdict(dict, obj.items)
        for key in _scope.touched & set(obj.items):
            copied.items[key] = real_copy.deepcopy(obj.items[key])
        return copied

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _scope.touched = set()
        for entry in transact_items:
            operation = next(iter(entry.values()))
            key = (operation.get("Item") or operation.get("Key") or {}).get("pk")
            if key:
                _scope.touched.add(DynamoType(key))
        try:
            return transact(self, transact_items)
        finally:
            _scope.touched = set()

    models.copy = SimpleNamespace(deepcopy=snapshot, copy=real_copy.copy)  # type: ignore[assignment]
    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class _Serialised:
    """WSGI middleware: one request at a time, as far as moto's backend is concerned."""

    def __init__(self, app):
        self._app = app

    def __call__(self, environ, start_response):
        with _backend_lock:
            return list(self._app(environ, start_response))


class LocalDynamoDB:
    """moto's DynamoDB server in a background thread; `endpoint` is its URL once started."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        _partition_scoped_moto()
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
