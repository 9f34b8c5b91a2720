"""Shared fixtures: a real moto DynamoDB server over HTTP, and settings that point at it."""

from __future__ import annotations

import os
import uuid

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
