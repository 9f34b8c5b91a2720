"""After a call: its summary and its cost, written once, off the call path.

Fed by the table's stream (the after-call Lambda in AWS, `pitstop_local.after_call` locally):
every change to a call record comes by, and only a finished call without a summary is worked
on (`pitstop.dal.after_call.finished_call_sid`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from pitstop.costs import call_cost
from pitstop.dal import Crm, NotFound
from pitstop.dal.after_call import AfterCallRepository, finished_call_sid
from pitstop.dal.prices import PricesLog
from pitstop.dal.table import from_item
from pitstop.models import CallDirection, CallRecord, Message
from pitstop.observability import logger, metrics
from pitstop.sms_encoding import sms_segments
from pitstop.summary import CallFacts, summarise

if TYPE_CHECKING:
    from openai import OpenAI

#: The per-call cost metric (EMF, namespace of `pitstop.observability`): the daily spend alarm
#: sums it.
COST_METRIC = "CallCostUSD"


def count_sms(crm: Crm, call_sid: str, body: str) -> None:
    """Count a text sent on the call `call_sid` by its carrier segments (priced after the call)."""
    AfterCallRepository(crm.table).add_sms_segments(call_sid, sms_segments(body).segments)


def is_test_call(record: CallRecord) -> bool:
    """A call placed from the console to try the agent (issue 17): summarised and priced like
    any other, but left out of cost reports and the spend metric."""
    return record.direction is CallDirection.TEST


@dataclass
class AfterCall:
    """Summarise and price one finished call, once."""

    crm: Crm
    client: OpenAI | None = None

    def __post_init__(self) -> None:
        self.prices = PricesLog(self.crm.table, self.crm.settings.shop_id)
        self.writes = AfterCallRepository(self.crm.table)

    def process(self, item: Mapping[str, Any], now: datetime) -> bool:
        """Summary and cost for the finished call in `item` (a stream image); True when this
        run wrote them, False when it was not finished or another run already had."""
        if finished_call_sid(item) is None:
            return False
        record = from_item(CallRecord, item)
        facts = CallFacts(
            record=record,
            tool_calls=self.crm.calls.tool_calls(record.call_sid),
            transcript=self.crm.calls.transcript(record.call_sid),
            message=self._message(record),
        )
        summary = summarise(facts, now, self.client)
        prices, version = self.prices.current()
        cost = call_cost(record, prices, version)
        if not self.writes.write_once(record.call_sid, summary, cost):
            logger.info("call already summarised", extra={"call_sid": record.call_sid})
            return False
        if not is_test_call(record):
            metrics.add_metric(name=COST_METRIC, unit=MetricUnit.NoUnit, value=cost.total_usd)
        logger.info(
            "call summarised",
            extra={
                "call_sid": record.call_sid,
                "summary_source": summary.source,
                "cost_usd": cost.total_usd,
            },
        )
        return True

    def _message(self, record: CallRecord) -> Message | None:
        if not record.message_id:
            return None
        try:
            return self.crm.messages.get(record.message_id)
        except NotFound:
            return None
