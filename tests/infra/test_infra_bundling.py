"""Lambda bundles: the shared package (no local-stack code), one function, its locked wheels.

pip is never run here: the bundler takes the pip runner as a parameter and the test records the
command instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.bundling import (
    LocalPythonBundling,
    _docker_command,
    bundle_files,
    pip_install_command,
    source_hash,
)

pytestmark = pytest.mark.infra


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    files = {
        "pitstop/__init__.py": "",
        "pitstop/dal/keys.py": "PK = 'pk'\n",
        "pitstop_local/dynamodb.py": "import moto\n",
        "pitstop/__pycache__/x.cpython-312.pyc": "junk",
        "functions/__init__.py": "",
        "functions/requirements.txt": "twilio==9.0.0 --hash=sha256:00\n",
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


def test_local_bundling_copies_files_and_installs_the_locked_arm64_wheels(repo, tmp_path_factory):
    out = tmp_path_factory.mktemp("asset")
    commands = []
    bundler = LocalPythonBundling("webhook", root=repo, pip=commands.append)
    assert bundler.try_bundle(str(out)) is True
    assert (out / "functions/webhook/handler.py").is_file()
    assert not (out / "pitstop_local").exists()
    assert not (out / "functions/tools").exists()
    assert not (out / "functions/requirements.txt").exists()
    (command,) = commands
    requirements = repo / "functions/requirements.txt"
    assert command == pip_install_command(str(out), requirements)
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.12" in joined
    assert "--only-binary=:all:" in joined
    assert f"--target {out}" in joined
    # Exactly the lock's closure: every wheel checked against its hash, nothing resolved.
    assert "--require-hashes" in command
    assert "--no-deps" in command
    assert command[-2:] == ["--requirement", str(requirements)]


def test_docker_fallback_installs_the_same_locked_file_and_copies_only_the_bundle():
    (script,) = _docker_command("webhook")[2:]
    assert (
        "--no-deps --require-hashes --target /asset-output"
        " --requirement /asset-input/functions/requirements.txt"
    ) in script
    copies = [step for step in script.split(" && ") if step.startswith("cp ")]
    assert copies == [
        "cp -r /asset-input/pitstop /asset-output/pitstop",
        "cp /asset-input/functions/__init__.py /asset-output/functions/",
        "cp -r /asset-input/functions/webhook /asset-output/functions/webhook",
    ]
    assert "rm -rf" not in script.replace("-exec rm -rf {} +", "")


def test_hash_follows_bundled_files_and_the_requirements_file_only(repo):
    before = source_hash(repo, "webhook")
    (repo / "pitstop_local/dynamodb.py").write_text("changed")
    (repo / "functions/tools/handler.py").write_text("changed")
    (repo / "README.md").write_text("changed")
    assert source_hash(repo, "webhook") == before
    (repo / "pitstop/dal/keys.py").write_text("PK = 'PK'\n")
    after_code = source_hash(repo, "webhook")
    assert after_code != before
    (repo / "functions/requirements.txt").write_text("twilio==9.0.1 --hash=sha256:01\n")
    assert source_hash(repo, "webhook") != after_code
