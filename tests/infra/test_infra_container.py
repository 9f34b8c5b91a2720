"""The bridge's Dockerfile: slim, unprivileged, healthy, stops gracefully."""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.infra

DOCKERFILE = (REPO_ROOT / "containers/media_bridge/Dockerfile").read_text()


def _instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1].strip()
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def test_base_image_and_port():
    assert _instructions("FROM") == ["python:3.12-slim"]
    env = " ".join(_instructions("ENV"))
    assert "PITSTOP_BRIDGE_PORT=8080" in env


def test_runs_as_an_unprivileged_user():
    (user,) = _instructions("USER")
    assert user.split(":")[0] not in ("root", "0")


def test_exec_form_command_stop_signal_and_healthcheck():
    (cmd,) = _instructions("CMD")
    assert json.loads(cmd) == ["python", "-m", "media_bridge"]
    assert _instructions("STOPSIGNAL") == ["SIGTERM"]
    (health,) = _instructions("HEALTHCHECK")
    assert "127.0.0.1" in health and "/health" in health


def test_installs_only_the_bridges_dependencies():
    pip = " ".join(i for i in _instructions("RUN") if "pip install" in i)
    for needed in ("boto3", "aws-lambda-powertools", "pydantic", "twilio", "websockets", "openai"):
        assert needed in pip
    for local_only in ("moto", "pocketsphinx", "aws-cdk", "pytest", "-e ."):
        assert local_only not in pip


def test_dockerignore_keeps_local_code_out():
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines and "pitstop_local/" in lines
