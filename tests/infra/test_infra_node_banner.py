"""The jsii node end-of-life banner is silenced for the infra tests (and only that banner)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.infra.node import END_OF_LIFE_SILENCER, node_major

pytestmark = pytest.mark.infra


@pytest.mark.skipif(shutil.which("node") is None, reason="jsii needs node; none on PATH")
def test_the_silencer_names_this_node_major():
    assert node_major() in os.environ[END_OF_LIFE_SILENCER].split(",")


@pytest.mark.skipif(shutil.which("node") is None, reason="jsii needs node; none on PATH")
def test_starting_jsii_prints_no_end_of_life_banner():
    """A fresh interpreter with the test process's environment starts jsii without the banner."""
    started = subprocess.run(
        [sys.executable, "-c", "import aws_cdk; aws_cdk.App()"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
        timeout=120,
    )
    assert "end-of-life" not in started.stdout + started.stderr
