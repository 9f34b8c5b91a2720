"""Lambda bundles: the shared package without local-only code, one function, its wheels.

pip is never run here: the bundler takes the pip runner as a parameter and the test records the
command instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra import constants
from infra.bundling import LocalPythonBundling, bundle_files, pip_install_command, source_hash

pytestmark = pytest.mark.infra


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = {
        "pitstop/__init__.py": "",
        "pitstop/dal/keys.py": "PK = 'pk'\n",
        "pitstop_local/dynamodb.py": "import moto\n",
        "pitstop/__pycache__/x.cpython-312.pyc": "junk",
        "functions/__init__.py": "",
        "functions/webhook/__init__.py": "",
        "functions/webhook/handler.py": "def lambda_handler(e, c): ...\n",
        "functions/tools/handler.py": "def lambda_handler(e, c): ...\n",
        "tests/test_x.py": "",
        "README.md": "",
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_bundle_holds_shared_package_and_one_function(repo):
    shipped = {rel.as_posix() for _, rel in bundle_files(repo, "webhook")}
    assert shipped == {
        "functions/__init__.py",
        "functions/webhook/__init__.py",
        "functions/webhook/handler.py",
        "pitstop/__init__.py",
        "pitstop/dal/keys.py",
    }


def test_local_bundling_copies_files_and_installs_arm64_wheels(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("asset")
    commands = []
    bundler = LocalPythonBundling("webhook", ("twilio>=9.0",), root=repo, pip=commands.append)
    assert bundler.try_bundle(str(out), None) is True
    assert (out / "functions/webhook/handler.py").is_file()
    assert not (out / "pitstop_local").exists()
    assert not (out / "functions/tools").exists()
    (command,) = commands
    assert command == pip_install_command(str(out), ("twilio>=9.0",))
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.12" in joined
    assert "--only-binary=:all:" in joined
    assert f"--target {out}" in joined
    assert command[-1] == "twilio>=9.0"


def test_hash_follows_bundled_files_only(repo):
    reqs = constants.FUNCTION_REQUIREMENTS["webhook"]
    before = source_hash(repo, "webhook", reqs)
    (repo / "pitstop_local/dynamodb.py").write_text("changed")
    (repo / "functions/tools/handler.py").write_text("changed")
    (repo / "README.md").write_text("changed")
    assert source_hash(repo, "webhook", reqs) == before
    (repo / "pitstop/dal/keys.py").write_text("PK = 'PK'\n")
    assert source_hash(repo, "webhook", reqs) != before
    assert source_hash(repo, "webhook", (*reqs, "extra")) != source_hash(repo, "webhook", reqs)


def test_every_function_declares_its_runtime_dependencies():
    assert set(constants.FUNCTION_REQUIREMENTS) == {"webhook", "tools", "reminders"}
    for requirements in constants.FUNCTION_REQUIREMENTS.values():
        names = {r.split(">")[0].split("=")[0] for r in requirements}
        assert {"aws-lambda-powertools", "pydantic", "twilio"} <= names
        assert "boto3" not in names  # provided by the Lambda runtime
