"""The bridge's Dockerfile: pinned, locked, slim, unprivileged, healthy, stops gracefully.

No Docker engine here: the image is never built in the tests, so its recipe is checked as text.
That the requirements file itself matches the lock is test_infra_requirements.py's job.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.infra

DOCKERFILE = (REPO_ROOT / "containers/media_bridge/Dockerfile").read_text()
REQUIREMENTS = "containers/media_bridge/requirements.txt"
DIGEST_PINNED = re.compile(r"python:3\.12-slim@sha256:[0-9a-f]{64}")


def _instructions(name: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1].strip()
        for line in joined.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def test_base_image_is_pinned_by_digest_and_port():
    (base,) = _instructions("FROM")
    assert DIGEST_PINNED.fullmatch(base), base
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


def test_installs_the_locked_hashed_requirements_and_nothing_else():
    copied = {src: dest for src, dest in (i.split() for i in _instructions("COPY"))}
    destination = copied[REQUIREMENTS]
    (pip,) = [i for i in _instructions("RUN") if "pip install" in i]
    install = pip.split("&&")[0].split()
    # The one requirement source is that file, every pin hash-checked: no package named by
    # hand, no editable install, nothing resolved at build time.
    assert install == ["pip", "install", "--no-deps", "--require-hashes", "-r", destination]
    for local_only in ("moto", "pocketsphinx", "aws-cdk", "pytest", "openai", "-e ."):
        assert local_only not in pip


def test_dockerignore_allow_lists_only_what_the_image_copies():
    lines = (REPO_ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines
    allowed = {line[1:] for line in lines if line.startswith("!")}
    assert allowed == {
        "pitstop/",
        "containers/media_bridge/Dockerfile",
        REQUIREMENTS,
        "containers/media_bridge/media_bridge/",
    }
