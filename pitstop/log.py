"""Structured logging: one JSON logger per service, every line keyed by `call_sid` when known.

Phone numbers never reach a log line in full: pass them through `mask_phone` (re-exported here).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from pitstop.phone import mask_phone

__all__ = ["get_logger", "mask_phone"]


def get_logger(service: str) -> Logger:
    """A Powertools JSON logger for `service`; child loggers of one service share its keys."""
    return Logger(service=service)
