"""Cold start: the handler module, a health check and a forged request never load boto3."""

import subprocess
import sys

SCRIPT = r"""
import sys
from functions.webhook.handler import lambda_handler
from pitstop_local.http import LocalLambdaContext, build_event
assert "boto3" not in sys.modules, "handler import pulled in boto3"
health = lambda_handler(build_event("GET", "/health", {}, b""), LocalLambdaContext("webhook"))
headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "Zm9yZ2Vk"}
forged_event = build_event("POST", "/voice", headers, b"CallSid=CA1&From=%2B15551234567")
forged = lambda_handler(forged_event, LocalLambdaContext("webhook"))
assert (health["statusCode"], forged["statusCode"]) == (200, 403), (health, forged)
assert "boto3" not in sys.modules and "functions.webhook.flows" not in sys.modules
print("lean")
"""


def test_health_and_forged_requests_stay_lean():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_METRICS_NAMESPACE": "Pitstop"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("lean")
