"""checkov and cfn-lint over the synthesised template: no unacknowledged finding.

The scanners run from their own locked environment (`.venv-scan`, from infra/scan/uv.lock; `make
test` syncs it), through the same runner `make scan` uses.
"""

from __future__ import annotations

import json
import subprocess

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs

from infra.nag import acknowledge_checkov
from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.infra

SCAN_PYTHON = REPO_ROOT / ".venv-scan" / "bin" / "python"
RUNNER = REPO_ROOT / "infra" / "scan" / "run.py"


def _scan(template):
    assert SCAN_PYTHON.exists(), "the scan environment is missing: run `make scan-env`"
    return subprocess.run(
        [str(SCAN_PYTHON), str(RUNNER), str(template)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _queue_stack(tmp_path, *, acknowledged):
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Scanned")
    queue = sqs.Queue(stack, "PlainQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    if acknowledged:
        acknowledge_checkov(queue, "AWS::SQS::Queue", {"CKV_AWS_27": "a test queue, no data"})
    app.synth()
    return tmp_path / "Scanned.template.json"


def test_stack_has_no_unacknowledged_scanner_findings(synth):
    result = _scan(synth.outdir / f"{synth.stack.stack_name}.template.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_scanners_really_run(tmp_path):
    """Negative control: an unencrypted queue fails checkov through the same runner."""
    result = _scan(_queue_stack(tmp_path, acknowledged=False))
    assert result.returncode == 1
    assert "checkov CKV_AWS_27 AWS::SQS::Queue.PlainQueue" in result.stdout


def test_an_acknowledgment_is_template_metadata_with_its_reason(tmp_path):
    raw = json.loads(_queue_stack(tmp_path, acknowledged=True).read_text())
    (queue,) = (r for r in raw["Resources"].values() if r["Type"] == "AWS::SQS::Queue")
    assert queue["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_27", "comment": "a test queue, no data"}]
    }


def test_a_checkov_acknowledgment_needs_a_reason(tmp_path):
    stack = cdk.Stack(cdk.App(outdir=str(tmp_path)), "S")
    with pytest.raises(ValueError, match="needs a real reason"):
        acknowledge_checkov(stack, "AWS::SQS::Queue", {"CKV_AWS_27": "ok"})
