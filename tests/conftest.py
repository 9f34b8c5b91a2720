"""Shared fixtures: a real moto DynamoDB server over HTTP, and settings that point at it."""

from __future__ import annotations

import importlib
import importlib.util
import os
import uuid
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

# Credentials for moto; never real ones, and no call leaves the machine.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Pitstop")
os.environ.setdefault("POWERTOOLS_DEV", "false")

from pitstop.config import Settings
from pitstop.dal import Crm, create_table
from pitstop_local.dynamodb import LocalDynamoDB


def pytest_sessionstart(session: pytest.Session) -> None:
    """`make test-compiled` runs the bridge's tests on its compiled build: refuse to run them on
    the interpreted sources instead (a wrong PYTHONPATH would pass without testing the build)."""
    if os.environ.get("PITSTOP_BRIDGE_COMPILED") != "1":
        return
    script = Path(__file__).parents[1] / "containers/media_bridge/compile_hot_path.py"
    spec = importlib.util.spec_from_file_location("compile_hot_path", script)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    modules = [importlib.import_module(f"media_bridge.{name}") for name in build.HOT_PATH]
    interpreted = [
        m.__name__ for m in modules if not str(m.__file__).endswith(tuple(EXTENSION_SUFFIXES))
    ]
    if interpreted:
        raise pytest.UsageError(f"PITSTOP_BRIDGE_COMPILED=1 but not compiled: {interpreted}")


@pytest.fixture(scope="session")
def dynamodb_endpoint():
    """One moto DynamoDB server for the whole run, on a free port."""
    server = LocalDynamoDB().start()
    yield server.endpoint
    server.stop()


@pytest.fixture
def settings(dynamodb_endpoint, tmp_path) -> Settings:
    """Settings for a fresh, empty table of this test's own (tests never share data)."""
    settings = Settings(
        table_name=f"pitstop-{uuid.uuid4().hex[:8]}",
        dynamodb_endpoint=dynamodb_endpoint,
        outbox_path=tmp_path / "outbox.jsonl",
    )
    create_table(settings)
    return settings


@pytest.fixture
def crm(settings) -> Crm:
    return Crm(settings)
