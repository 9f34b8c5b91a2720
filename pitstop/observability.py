"""The one Powertools setup every Pitstop process uses: one `Logger`, one `Metrics`, one `Tracer`.

The service name comes from `POWERTOOLS_SERVICE_NAME` (the stack sets it per function and for the
bridge) and the metrics namespace from `POWERTOOLS_METRICS_NAMESPACE`, so the same code logs as
`webhook` in one Lambda and as `media_bridge` in the container. Log lines carry `call_sid` once a
handler or a call binds it; phone numbers reach them only through `mask_phone` (re-exported here so
that a logging module is the obvious place to find it).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from pitstop.phone import mask_phone

DEFAULT_NAMESPACE = "Pitstop"

logger = Logger()
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE))
tracer = Tracer()

__all__ = ["DEFAULT_NAMESPACE", "logger", "mask_phone", "metrics", "tracer"]
