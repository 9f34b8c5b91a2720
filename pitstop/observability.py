"""The one Powertools setup every Pitstop process uses: one `Logger`, one `Metrics`, one `Tracer`.

The service name comes from `POWERTOOLS_SERVICE_NAME` (the stack sets it per function and for the
bridge) and the metrics namespace from `POWERTOOLS_METRICS_NAMESPACE`, so the same code logs as
`webhook` in one Lambda and as `media_bridge` in the container. Log lines carry `call_sid` once a
handler or a call binds it; phone numbers reach them only through `mask_phone` (re-exported here so
that a logging module is the obvious place to find it).
"""

from __future__ import annotations

import os
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from pitstop.phone import mask_phone

DEFAULT_NAMESPACE = "Pitstop"
# Where nothing sets POWERTOOLS_SERVICE_NAME (a developer's shell), lines and metrics still say
# whose they are instead of Powertools' `service_undefined`.
DEFAULT_SERVICE = "pitstop"
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE

logger = Logger(service=SERVICE)
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", DEFAULT_NAMESPACE), service=SERVICE
)
# Outside Lambda (tests, the local stack, the bridge on Fargate) Powertools disables the tracer.
tracer = Tracer()

# A health check or a refused request publishes no metric; that is expected, not worth a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count_by(name: str, dimension: str, value: str, count: float = 1) -> None:
    """A count with one extra dimension (e.g. `reason`), published at once as its own EMF line.

    `metrics` gives every metric of a flush the same dimensions; a per-value dimension needs a
    metric of its own. It keeps the namespace and the `service` dimension of `metrics`.
    """
    service = {"service": metrics.service} if metrics.service else {}
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=count,
        namespace=metrics.namespace,
        default_dimensions=service,
    ) as metric:
        metric.add_dimension(name=dimension, value=value)


__all__ = ["DEFAULT_NAMESPACE", "SERVICE", "count_by", "logger", "mask_phone", "metrics", "tracer"]
