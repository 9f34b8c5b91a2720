"""The bridge's Dockerfile: pinned, locked, slim, unprivileged, healthy, stops gracefully, its hot
path compiled in a build stage that leaves no compiler in the image.

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
BUILD_REQUIREMENTS = "containers/media_bridge/requirements-build.txt"
DIGEST_PINNED = re.compile(r"python:3\.12-slim@sha256:[0-9a-f]{64}")
HASHED_INSTALL = ["pip", "install", "--no-deps", "--require-hashes", "-r"]


def _stages() -> list[str]:
    """The Dockerfile's stages (continuation lines joined), each from its FROM on."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return re.split(r"\n(?=FROM )", joined[joined.index("FROM ") :])


BUILD_STAGE, IMAGE_STAGE = _stages()


def _instructions(name: str, stage: str = IMAGE_STAGE) -> list[str]:
    return [
        line.split(None, 1)[1].strip()
        for line in stage.splitlines()
        if line.strip().upper().startswith(name + " ")
    ]


def _installs(stage: str) -> list[list[str]]:
    """Each `pip install` of the stage, as its words."""
    runs = " && ".join(_instructions("RUN", stage))
    return [step.split() for step in runs.split("&&") if "pip install" in step]


def test_both_stages_use_the_base_image_pinned_by_digest_and_port():
    (build,) = _instructions("FROM", BUILD_STAGE)
    (base,) = _instructions("FROM")
    assert build == f"{base} AS build"
    assert DIGEST_PINNED.fullmatch(base), base
    env = " ".join(_instructions("ENV"))
    assert "PITSTOP_BRIDGE_PORT=8080" in env


def test_the_build_stage_compiles_the_hot_path_from_locked_requirements():
    assert _installs(BUILD_STAGE) == [
        [*HASHED_INSTALL, "/tmp/requirements.txt"],
        [*HASHED_INSTALL, "/tmp/requirements-build.txt"],
    ]
    assert any("compile_hot_path.py /out" in run for run in _instructions("RUN", BUILD_STAGE))
    # The image takes the compiled tree, and no compiler: nothing installed from Debian.
    assert "--from=build /out/ /app/" in _instructions("COPY")
    assert "apt-get" not in IMAGE_STAGE


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
    copied = dict(i.split() for i in _instructions("COPY") if not i.startswith("--from"))
    # The one requirement source is that file, every pin hash-checked: no package named by
    # hand, no editable install, nothing resolved at build time.
    assert _installs(IMAGE_STAGE) == [[*HASHED_INSTALL, copied[REQUIREMENTS]]]
    for stage in (BUILD_STAGE, IMAGE_STAGE):
        (pip,) = [i for i in _instructions("RUN", stage) if "pip install" in i]
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
        BUILD_REQUIREMENTS,
        "containers/media_bridge/compile_hot_path.py",
        "containers/media_bridge/media_bridge/",
    }
