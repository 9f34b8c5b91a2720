"""Lambda code bundles: the shared package, one function's directory and its dependencies.

Built locally with pip (no Docker engine needed): pip downloads the Linux arm64 / CPython 3.12
wheels with `--platform ... --only-binary=:all:`, so the host's own OS and Python do not matter.
Only when pip is not available does CDK fall back to the Docker command below.

The asset hash is computed from exactly the files that go into the bundle plus the requirement
list, so an unchanged function is not re-bundled or re-deployed, and a change to a file that is
not in the bundle (a test, the README, `pitstop_local/`) changes nothing.
"""

from __future__ import annotations

import compileall
import hashlib
import importlib.util
import os
import py_compile
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PACKAGE = "pitstop"
# Local-only code (moto, offline speech, the dev server) never ships to AWS.
EXCLUDED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
EXCLUDED_SUBTREES = (Path("pitstop") / "local",)
EXCLUDED_SUFFIXES = (".pyc", ".pyo")

PipRunner = Callable[[Sequence[str]], None]


def bundle_files(root: Path, function: str) -> Iterator[tuple[Path, Path]]:
    """(source, relative destination) of every file in `function`'s bundle, in a stable order."""
    sources = [root / SHARED_PACKAGE, root / "functions" / function]
    init = root / "functions" / "__init__.py"
    if init.is_file():
        yield init, init.relative_to(root)
    for top in sources:
        if not top.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            here = Path(dirpath)
            rel_dir = here.relative_to(root)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if d not in EXCLUDED_DIRS and rel_dir / d not in EXCLUDED_SUBTREES
            )
            for name in sorted(filenames):
                if name.endswith(EXCLUDED_SUFFIXES):
                    continue
                yield here / name, rel_dir / name


def source_hash(root: Path, function: str, requirements: Sequence[str]) -> str:
    """Fingerprint of the bundle's inputs: file paths and contents, requirements, target platform."""
    digest = hashlib.sha256()
    digest.update(f"{constants.LAMBDA_PIP_PLATFORM}|{constants.LAMBDA_PYTHON_VERSION}|".encode())
    digest.update("\n".join(requirements).encode())
    for source, rel in bundle_files(root, function):
        digest.update(b"\0" + rel.as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()


def pip_install_command(target: str, requirements: Sequence[str]) -> list[str]:
    """pip arguments that fetch Lambda-compatible (Linux arm64, CPython 3.12) wheels only."""
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        constants.LAMBDA_PIP_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        constants.LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        target,
        *requirements,
    ]


def _run_pip(command: Sequence[str]) -> None:
    subprocess.run(list(command), check=True)


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Bundles one function on the host; returns False (→ Docker fallback) when pip is missing."""

    def __init__(
        self,
        function: str,
        requirements: Sequence[str],
        root: Path = REPO_ROOT,
        pip: PipRunner | None = None,
    ) -> None:
        self._function = function
        self._requirements = tuple(requirements)
        self._root = root
        self._pip = pip or _run_pip

    def try_bundle(self, output_dir: str, options: object = None) -> bool:
        """Called by CDK (through jsii, with the BundlingOptions positionally)."""
        if self._pip is _run_pip and importlib.util.find_spec("pip") is None:
            return False
        out = Path(output_dir)
        if self._requirements:
            self._pip(pip_install_command(str(out), self._requirements))
        for source, rel in bundle_files(self._root, self._function):
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
        self._precompile(out)
        return True

    @staticmethod
    def _precompile(out: Path) -> None:
        """Ship bytecode when this interpreter matches the Lambda runtime: less work per cold start.

        Hash-based (unchecked) .pyc files are byte-for-byte reproducible, so the bundle's hash
        stays stable. Bytecode from another Python version would be ignored by the runtime, so
        none is written then.
        """
        if f"{sys.version_info[0]}.{sys.version_info[1]}" != constants.LAMBDA_PYTHON_VERSION:
            return
        compileall.compile_dir(
            str(out),
            quiet=1,
            workers=0,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )


def _docker_command(function: str, requirements: Sequence[str]) -> list[str]:
    reqs = " ".join(f"'{r}'" for r in requirements)
    script = " && ".join(
        [
            f"pip install --no-compile --target /asset-output {reqs}" if reqs else "true",
            "cp -r /asset-input/pitstop /asset-output/pitstop",
            "rm -rf /asset-output/pitstop_local",
            "mkdir -p /asset-output/functions",
            "cp /asset-input/functions/__init__.py /asset-output/functions/",
            f"cp -r /asset-input/functions/{function} /asset-output/functions/{function}",
            "find /asset-output -name __pycache__ -prune -exec rm -rf {} +",
        ]
    )
    return ["bash", "-c", script]


def function_code(function: str, root: Path = REPO_ROOT) -> lambda_.Code:
    """The `Code` for functions/<function>: local pip bundling, Docker only as a fallback."""
    requirements = constants.FUNCTION_REQUIREMENTS[function]
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=source_hash(root, function, requirements),
        bundling=BundlingOptions(
            image=lambda_.Runtime.PYTHON_3_12.bundling_image,
            platform="linux/arm64",
            command=_docker_command(function, requirements),
            local=LocalPythonBundling(function, requirements, root),
        ),
    )
