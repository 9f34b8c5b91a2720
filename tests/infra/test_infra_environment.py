"""No dead settings: every environment variable the stack sets is one the shipped code reads.

A name counts as read when it appears as a string literal in the code that runs on AWS
(`pitstop/`, `functions/`, the bridge package): that is how the settings models alias their
fields and how `pitstop.secrets` looks its names up. A rename on one side only fails here.
"""

from __future__ import annotations

import pytest

from tests.infra.conftest import REPO_ROOT, bridge_container, env, pitstop_functions

pytestmark = pytest.mark.infra

SHIPPED_CODE = ("pitstop", "functions", "containers/media_bridge/media_bridge")
# Read by Powertools itself (Logger, Metrics and Tracer take their service name and log level
# from these), not by our code.
READ_BY_POWERTOOLS = frozenset({"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"})


def _shipped_source() -> str:
    return "\n".join(
        path.read_text()
        for top in SHIPPED_CODE
        for path in sorted((REPO_ROOT / top).rglob("*.py"))
        if "__pycache__" not in path.parts
    )


def _set_by_the_stack(synth) -> dict[str, set[str]]:
    """Variable name → the components it is set on."""
    names: dict[str, set[str]] = {}
    for function, props in pitstop_functions(synth).items():
        for name in env(props):
            names.setdefault(name, set()).add(function)
    container = bridge_container(synth)
    for entry in (*container["Environment"], *container["Secrets"]):
        names.setdefault(entry["Name"], set()).add("media_bridge")
    return names


def test_every_variable_the_stack_sets_is_read_by_the_code(synth):
    source = _shipped_source()
    unread = {
        name: sorted(components)
        for name, components in _set_by_the_stack(synth).items()
        if name not in READ_BY_POWERTOOLS
        and f'"{name}"' not in source
        and f"'{name}'" not in source
    }
    assert unread == {}


def test_handoffs_link_the_deployed_console(synth):
    """The transcript link a handed-off call carries points at the console's CloudFront site,
    from both places that hand off: the webhook (rescues) and the bridge."""
    webhook = env(pitstop_functions(synth)["webhook"])["PITSTOP_CONSOLE_URL"]
    bridge = {e["Name"]: e["Value"] for e in bridge_container(synth)["Environment"]}
    assert bridge["PITSTOP_CONSOLE_URL"] == webhook
    assert "DomainName" in str(webhook)  # the distribution's domain, not the local default
