"""Every artefact's dependency list is the lock's export, never a hand list.

The Lambda bundles install `functions/requirements.txt`, the bridge image
`containers/media_bridge/requirements.txt` (and its build stage `requirements-build.txt`); all are
written by `make requirements` from uv.lock.
These tests re-run the same `uv export` and compare, so a lock change without a regenerated
list fails here instead of shipping stale pins.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import constants
from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.infra

BRIDGE_REQUIREMENTS = "containers/media_bridge/requirements.txt"
BRIDGE_BUILD_REQUIREMENTS = "containers/media_bridge/requirements-build.txt"
# The Lambda runtime ships these; bundling them would only shadow the runtime's copies.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer")
EXPORT_ARGS = {
    BRIDGE_REQUIREMENTS: ("--extra", "bridge"),
    BRIDGE_BUILD_REQUIREMENTS: ("--only-group", "native"),
    constants.LAMBDA_REQUIREMENTS: tuple(
        arg for name in LAMBDA_RUNTIME_PACKAGES for arg in ("--no-emit-package", name)
    ),
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+")


def _uv() -> str:
    beside_python = Path(sys.executable).with_name("uv")
    found = str(beside_python) if beside_python.is_file() else shutil.which("uv")
    assert found, "uv is not installed (make install puts it in .venv/bin)"
    return found


def _export(*args: str) -> str:
    command = [
        _uv(),
        "export",
        "--frozen",
        "--no-default-groups",
        "--no-emit-project",
        "--quiet",
        *args,
    ]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def _without_header(text: str) -> list[str]:
    """The export minus its leading comment block, which names the command and output file."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return lines


def _pins(path: str) -> dict[str, list[str]]:
    """Package name (normalised) → the hash options of its pin."""
    pins: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (REPO_ROOT / path).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = pins.setdefault(re.sub(r"[-_.]+", "-", match[1]).lower(), [])
        elif line.strip().startswith("--hash=sha256:"):
            current.append(line.strip())
    return pins


@pytest.mark.parametrize("path", sorted(EXPORT_ARGS))
def test_requirements_file_is_what_the_lock_exports(path):
    exported = _export(*EXPORT_ARGS[path])
    committed = (REPO_ROOT / path).read_text()
    assert _without_header(committed) == _without_header(exported), (
        f"{path} is out of date with uv.lock: run `make requirements`"
    )


@pytest.mark.parametrize("path", sorted(EXPORT_ARGS))
def test_every_pin_is_exact_and_hashed(path):
    pins = _pins(path)
    assert pins
    for name, hashes in pins.items():
        assert hashes, f"{path}: {name} has no --hash"


def test_lambda_bundles_carry_the_shared_dependencies_but_not_the_runtimes():
    names = set(_pins(constants.LAMBDA_REQUIREMENTS))
    shared = {"aws-lambda-powertools", "pydantic", "pydantic-settings", "twilio", "tzdata", "babel"}
    # `openai` (and its httpx) for the after-call summary's structured output.
    assert shared | {"openai"} <= names
    assert not names & set(LAMBDA_RUNTIME_PACKAGES)  # provided by the Lambda runtime
    for bridge_only in ("picows", "uvloop", "orjson", "websockets"):
        assert bridge_only not in names


def test_bridge_image_carries_only_what_the_bridge_imports():
    names = set(_pins(BRIDGE_REQUIREMENTS))
    for needed in ("boto3", "aws-lambda-powertools", "pydantic", "twilio", "picows", "uvloop"):
        assert needed in names
    # The local stack and its stand-ins (`websockets` among them) are for tests and dev only.
    for not_shipped in ("websockets", "moto", "pocketsphinx", "aws-cdk-lib", "pytest"):
        assert not_shipped not in names
