"""Synthesise the stack once per test session; every infra test reads the same assembly.

Synthesis is offline: the Lambda bundling step is skipped (`aws:cdk:bundling-stacks: []`, so no
pip and no network), the container image is only staged, never built, and cdk-nag runs exactly
as in `cdk synth`. A failed cdk-nag validation does not stop the other tests: the template is
written before validation, and the nag test reports the failure.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.node import END_OF_LIFE_SILENCER, with_node_major

# Before aws_cdk is imported: the jsii kernel (a node process) checks once, at start.
os.environ[END_OF_LIFE_SILENCER] = with_node_major(os.environ.get(END_OF_LIFE_SILENCER, ""))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

REPO_ROOT = Path(__file__).resolve().parents[2]


def cdk_json_context() -> dict[str, Any]:
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass
class Synth:
    stack: Any
    template: Template
    raw: dict[str, Any]
    outdir: Path
    error: Exception | None
    report: dict[str, Any]

    def resources(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.raw["Resources"].items() if v["Type"] == cfn_type}

    def one(self, cfn_type: str) -> dict[str, Any]:
        found = list(self.resources(cfn_type).values())
        assert len(found) == 1, f"expected one {cfn_type}, found {len(found)}"
        return found[0]


def synthesize(outdir: Path, **overrides: Any) -> Synth:
    """Build app.py's app with cdk.json's context (plus overrides) and synthesise it."""
    from infra.app import build_app

    context = {**cdk_json_context(), **overrides, "aws:cdk:bundling-stacks": []}
    app, stack = build_app(cdk.App(context=context, outdir=str(outdir)))
    error: Exception | None = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag / validation failure: still inspect the template
        error = exc
    raw = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return Synth(stack, Template.from_json(raw), raw, outdir, error, report)


@pytest.fixture(scope="session")
def synth(tmp_path_factory) -> Synth:
    return synthesize(tmp_path_factory.mktemp("cdk-out"))


HANDLERS = {
    "webhook": "functions.webhook.handler.lambda_handler",
    "tools": "functions.tools.handler.lambda_handler",
    "reminders": "functions.reminders.handler.lambda_handler",
}


def pitstop_functions(synth: Synth) -> dict[str, dict[str, Any]]:
    """name → properties, for the three Pitstop functions (not CDK's own helper functions)."""
    found = {}
    for fn in synth.resources("AWS::Lambda::Function").values():
        props = fn["Properties"]
        for name, handler in HANDLERS.items():
            if props.get("Handler") == handler:
                found[name] = props
    return found


def env(props: dict[str, Any]) -> dict[str, Any]:
    """A function's environment variables."""
    return props["Environment"]["Variables"]


def bridge_container(synth: Synth) -> dict[str, Any]:
    """The bridge task's one container definition."""
    (task,) = synth.resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    return container
