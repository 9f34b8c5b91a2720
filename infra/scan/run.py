"""checkov and cfn-lint over a synthesised template: exit 1 on any unacknowledged finding.

Run with the scan environment's own Python (`.venv-scan/bin/python infra/scan/run.py
cdk.out/Pitstop.template.json`, synced from infra/scan/uv.lock), so both scanners are the pinned
ones. checkov findings are acknowledged in the template itself (`infra.nag.acknowledge_checkov`);
the cfn-lint rules ignored for the whole template are listed below, each with its reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

CFN_LINT_IGNORED = {
    "W3005": (
        "CDK itself writes a DependsOn on each function's role (and its default policy) next to "
        "the function's GetAtt of that role; the redundancy is CDK's own output and harmless."
    ),
}


def checkov_findings(template: Path) -> list[str]:
    """Failed checks (acknowledged ones are `skipped`, not failed) and parse errors."""
    run = subprocess.run(
        [
            *(str(BIN / "checkov"), "-f", str(template), "--framework", "cloudformation"),
            *("--quiet", "--compact", "--output", "json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    summary = report["summary"]
    if summary["parsing_errors"] or not summary["resource_count"]:
        return [f"checkov could not check the template: {summary}"]
    return [
        f"checkov {check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]


def cfn_lint_findings(template: Path) -> list[str]:
    """Every cfn-lint error and warning outside the listed, reasoned exceptions."""
    run = subprocess.run(
        [
            *(str(BIN / "cfn-lint"), "--format", "json", "--ignore-checks", *CFN_LINT_IGNORED),
            *("--", str(template)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode and not run.stdout.strip():
        return [f"cfn-lint failed to run: {run.stderr.strip()}"]
    return [
        f"cfn-lint {match['Rule']['Id']} {match['Location']['Path']}: {match['Message']}"
        for match in json.loads(run.stdout or "[]")
    ]


def main(template: Path) -> int:
    findings = checkov_findings(template) + cfn_lint_findings(template)
    report = [*findings, f"scan of {template}: {len(findings)} unacknowledged finding(s)"]
    sys.stdout.write("\n".join(report) + "\n")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
