"""Lambda code bundles: the shared package, one function's directory and its dependencies.

The dependencies are `functions/requirements.txt`, exported from uv.lock by `make requirements`
(every pin hashed; boto3/botocore/s3transfer left out, the Lambda runtime provides them). pip
installs it with `--require-hashes --no-deps`: exactly the locked closure, nothing resolved at
bundle time. Built locally with pip (no Docker engine needed): pip downloads the Linux arm64 /
CPython 3.12 wheels with `--platform ... --only-binary=:all:`, so the host's own OS and Python do
not matter. Only when pip is not available does CDK fall back to the Docker command below.

The asset hash is computed from exactly the files that go into the bundle plus the requirements
file's content, so an unchanged function is not re-bundled or re-deployed, and a change to a file
that is not in the bundle (a test, the README, the local stack in `pitstop_local/`) changes
nothing.
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
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import constants

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_PACKAGE = "pitstop"
# Build debris only: the shared package holds no local-only code (that is `pitstop_local/`).
EXCLUDED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
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
            dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS)
            for name in sorted(filenames):
                if name.endswith(EXCLUDED_SUFFIXES):
                    continue
                yield here / name, rel_dir / name


def requirements_file(root: Path) -> Path:
    """The Lambdas' hashed requirement list, generated from uv.lock (never edited by hand)."""
    return root / constants.LAMBDA_REQUIREMENTS


def source_hash(root: Path, function: str) -> str:
    """Fingerprint of the bundle's inputs: its files (paths, contents), requirements, platform."""
    digest = hashlib.sha256()
    digest.update(f"{constants.LAMBDA_PIP_PLATFORM}|{constants.LAMBDA_PYTHON_VERSION}|".encode())
    digest.update(requirements_file(root).read_bytes())
    for source, rel in bundle_files(root, function):
        digest.update(b"\0" + rel.as_posix().encode() + b"\0")
        digest.update(source.read_bytes())
    return digest.hexdigest()


def pip_install_command(target: str, requirements: Path) -> list[str]:
    """pip arguments that install the locked, hashed wheels for Lambda (Linux arm64, CPython 3.12).

    `--no-deps`: the file is the whole closure already, minus the runtime-provided boto3 family
    that some packages (aws-xray-sdk) declare; resolving would ask for those unhashed.
    """
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
        "--no-deps",
        "--require-hashes",
        "--target",
        target,
        "--requirement",
        str(requirements),
    ]


def _run_pip(command: Sequence[str]) -> None:
    subprocess.run(list(command), check=True)


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """Bundles one function on the host; returns False (→ Docker fallback) when pip is missing."""

    def __init__(
        self,
        function: str,
        root: Path = REPO_ROOT,
        pip: PipRunner | None = None,
    ) -> None:
        self._function = function
        self._root = root
        self._pip = pip or _run_pip

    def try_bundle(
        self, output_dir: str, *, image: DockerImage | None = None, **options: object
    ) -> bool:
        """Called by CDK through jsii, which spreads the BundlingOptions into these keywords.

        None of them applies on the host: the image, the command and the rest are the Docker
        fallback's. The keyword-only `image` is what makes jsii pass them as keywords.
        """
        if self._pip is _run_pip and importlib.util.find_spec("pip") is None:
            return False
        out = Path(output_dir)
        self._pip(pip_install_command(str(out), requirements_file(self._root)))
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


def _docker_command(function: str) -> list[str]:
    script = " && ".join(
        [
            "pip install --no-compile --no-deps --require-hashes --target /asset-output"
            f" --requirement /asset-input/{constants.LAMBDA_REQUIREMENTS}",
            "cp -r /asset-input/pitstop /asset-output/pitstop",
            "mkdir -p /asset-output/functions",
            "cp /asset-input/functions/__init__.py /asset-output/functions/",
            f"cp -r /asset-input/functions/{function} /asset-output/functions/{function}",
            "find /asset-output -name __pycache__ -prune -exec rm -rf {} +",
        ]
    )
    return ["bash", "-c", script]


def function_code(function: str, root: Path = REPO_ROOT) -> lambda_.Code:
    """The `Code` for functions/<function>: local pip bundling, Docker only as a fallback."""
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=source_hash(root, function),
        bundling=BundlingOptions(
            image=lambda_.Runtime.PYTHON_3_12.bundling_image,
            platform="linux/arm64",
            command=_docker_command(function),
            local=LocalPythonBundling(function, root),
        ),
    )
