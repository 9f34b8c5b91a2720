"""Webhook benchmark: handler import time (cold start) and `/voice` answer time on the local stack.

- import: `python -X importtime -c "import functions.webhook.handler"` in fresh processes; the
  cumulative µs of the handler module (what a Lambda cold start pays at init), and of the CRM
  flows module that the first verified request imports lazily.
- cold: a fresh process imports the handler and answers one signed `/voice` (first request pays
  the lazy imports and the boto3 client).
- warm: p50/p95 of signed `POST /voice` over real HTTP through the local adapter
  (`pitstop_local.http`) against moto's DynamoDB seeded with the demo shop (`pitstop seed`),
  called from the demo customer's number (so the caller lookup finds a customer), and the
  DynamoDB requests each answer made (a botocore `before-call` hook on the handler's client).

Run: `python -m tests.bench webhook` (from the repository root).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from datetime import date
from urllib.parse import urlencode

IMPORT_RUNS = 7
WARMUP = 20
REQUESTS = 300
AUTH_TOKEN = "bench-auth-token"
PUBLIC_URL = "https://hooks.pitstop.bench"

_COLD_SCRIPT = r"""
import json, sys, time
t0 = time.perf_counter()
from functions.webhook.handler import lambda_handler
t1 = time.perf_counter()
from pitstop_local.http import LocalLambdaContext, build_event
event = build_event("POST", "/voice", json.loads(sys.argv[1]), sys.argv[2].encode())
t2 = time.perf_counter()
result = lambda_handler(event, LocalLambdaContext(function_name="webhook"))
t3 = time.perf_counter()
assert result["statusCode"] == 200 and "<Stream" in result["body"], result
print(json.dumps({"import_ms": (t1 - t0) * 1000, "first_request_ms": (t3 - t2) * 1000}))
"""


def _cumulative_us(module: str, statement: str) -> int:
    """Cumulative import µs of `module` when a fresh interpreter runs `statement`."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in completed.stderr.splitlines():
        # "import time:  <self µs> | <cumulative µs> | <indented module name>"
        if line.startswith("import time:") and line.count("|") == 2:
            _self_us, cumulative, name = (part.strip() for part in line.split(":", 1)[1].split("|"))
            if name == module:
                return int(cumulative)
    raise RuntimeError(f"{module} not in -X importtime output")


def _signed(params: dict[str, str], path: str = "/voice") -> tuple[dict[str, str], bytes]:
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
    return headers, urlencode(params).encode()


def _call(sid: str, caller: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC0",
        "From": caller,
        "To": "+15005550006",
        "CallStatus": "ringing",
        "Direction": "inbound",
    }


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _seed(settings) -> str:
    """Load the demo shop (`pitstop seed`); returns the known caller's number to call from."""
    try:
        from pitstop.seed import DEMO_CALLER, seed
    except ImportError:  # before `pitstop.seed` existed: the webhook tests' minimal shop
        from pitstop.dal import Crm, create_table
        from tests.integration.webhook.shop import CUSTOMER_PHONE, seed_shop

        create_table(settings)
        seed_shop(Crm(settings))
        return CUSTOMER_PHONE
    seed(settings, date.today())
    return DEMO_CALLER["phone"]


def main() -> None:
    handler_us = [
        _cumulative_us("functions.webhook.handler", "import functions.webhook.handler")
        for _ in range(IMPORT_RUNS)
    ]
    flows_us = [
        _cumulative_us(
            "functions.webhook.flows", "import functions.webhook.handler, functions.webhook.flows"
        )
        for _ in range(IMPORT_RUNS)
    ]
    print(
        f"import functions.webhook.handler (-X importtime cumulative, {IMPORT_RUNS} fresh "
        f"processes): median {statistics.median(handler_us)} µs, min {min(handler_us)} µs"
    )
    print(
        f"  + functions.webhook.flows, imported on the first verified request (boto3, dal): "
        f"median {statistics.median(flows_us)} µs, min {min(flows_us)} µs"
    )

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Pitstop")
    from pitstop.config import get_settings
    from pitstop.dal.table import table_for
    from pitstop_local.dynamodb import LocalDynamoDB
    from pitstop_local.http import serve_lambdas

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto access lines
    dynamodb = LocalDynamoDB().start()
    env = {
        "PITSTOP_TABLE": f"pitstop-bench-{uuid.uuid4().hex[:6]}",
        "PITSTOP_DYNAMODB_ENDPOINT": dynamodb.endpoint,
        "PITSTOP_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()
    caller = _seed(settings)

    cold_headers, cold_body = _signed(_call("CA_bench_cold", caller))
    cold = subprocess.run(
        [sys.executable, "-c", _COLD_SCRIPT, json.dumps(cold_headers), cold_body.decode()],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if cold.returncode == 0:
        figures = json.loads(cold.stdout.strip().splitlines()[-1])
        print(
            f"cold process: import {figures['import_ms']:.1f} ms + first /voice "
            f"{figures['first_request_ms']:.1f} ms "
            "(lazy imports, boto3 client, 2 DynamoDB requests)"
        )
    else:
        print("cold process failed:", cold.stderr[-2000:])

    server = serve_lambdas("127.0.0.1", 0)
    samples: list[float] = []
    requests: Counter[str] = Counter()
    events = table_for(settings).meta.client.meta.events  # the client the handler's CRM pools

    def count(model, **_) -> None:
        requests[model.name] += 1

    try:
        # The handler prints one EMF metric line per call; keep them out of the report.
        with contextlib.redirect_stdout(io.StringIO()):
            _answer_many(server.url, caller, [])  # warm-up, not counted
            events.register("before-call.dynamodb", count)
            _answer_many(server.url, caller, samples, first=WARMUP)
    finally:
        events.unregister("before-call.dynamodb", count)
        server.stop()
        dynamodb.stop()
    print(f"(load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(
        f"signed POST /voice over local HTTP + moto DynamoDB, {REQUESTS} calls: "
        f"p50 {_percentile(samples, 50):.2f} ms, p95 {_percentile(samples, 95):.2f} ms, "
        f"max {max(samples):.2f} ms"
    )
    per_call = {name: n / REQUESTS for name, n in sorted(requests.items())}
    print(f"DynamoDB requests per /voice: {sum(per_call.values()):.2f} {per_call}")


def _answer_many(base_url: str, caller: str, samples: list[float], first: int = 0) -> None:
    """Warm-up calls (`first` 0), or the measured ones after them (numbered on from `first`)."""
    for n in range(first, first + (REQUESTS if first else WARMUP)):
        headers, body = _signed(_call(f"CA_bench_{n:05d}", caller))
        request = urllib.request.Request(base_url + "/voice", data=body, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=15) as response:
            payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200 and b"<Stream" in payload, payload
        assert b'name="customer_id" value=""' not in payload, "the caller was not recognised"
        samples.append(elapsed)


if __name__ == "__main__":
    main()
