"""Who is on the call, and the per-invocation services a tool works with.

The customer on the call is `context.customer_id` (set by the webhook or after registration),
else the one the caller verified as (`verify_customer`, recorded on the call record), else
whoever owns `context.customer_number`. Tools never take the customer from the model's
arguments alone: that is what keeps one caller out of another customer's data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, field_validator

from pitstop.after_call import count_sms
from pitstop.dal import Crm, CustomerFile, NotFound, ShopCatalog
from pitstop.observability import logger
from pitstop.phone import InvalidPhoneNumber, normalize_e164
from pitstop.telephony import Telephony
from pitstop.tools.schema import Refusal


class ToolContext(BaseModel):
    """The call a tool runs for, as the bridge sends it beside the arguments."""

    model_config = ConfigDict(extra="ignore")

    call_sid: str = ""
    customer_number: str | None = None
    customer_id: str | None = None
    direction: Literal["inbound", "reminder", "test"] = "inbound"
    appointment_id: str | None = None

    @field_validator("customer_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return normalize_e164(value)
        except InvalidPhoneNumber:
            return None  # an anonymous / withheld caller id: nobody is identified by it

    @field_validator("customer_id", "appointment_id")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None


NOT_IDENTIFIED = Refusal(
    error="customer_not_identified",
    message="I don't have you in our system yet. Could I take your name so I can set you up?",
)


class Refused(Exception):
    """Raised inside a tool to answer with a refusal (keeps the happy path flat)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.error)
        self.refusal = refusal


class ToolEnv:
    """One tool invocation's world: context, CRM, telephony and a fixed `now`.

    Reads are memoised per invocation (the catalog and the customer's file are each one Query).
    Across invocations only the catalogue is shared, by the tools of one call
    (`pitstop.dal.catalog_cache`: at most 30 s old); everything else a tool reads is the table
    as it is.
    """

    def __init__(
        self, context: ToolContext, crm: Crm, telephony: Telephony, now: datetime | None = None
    ):
        self.context = context
        self.crm = crm
        self.telephony = telephony
        self.now_utc = (now or datetime.now(UTC)).astimezone(UTC)

    def send_sms(self, to: str, body: str) -> None:
        """Text `to`, and count the text's segments on this call (priced after the call). A
        failed count is logged, never raised: the text has gone, and a retried tool would
        send it twice."""
        self.telephony.send_sms(to, body)
        if not self.context.call_sid:
            return
        try:
            count_sms(self.crm, self.context.call_sid, body)
        except Exception:
            logger.exception(
                "could not count the call's SMS", extra={"call_sid": self.context.call_sid}
            )

    @cached_property
    def catalog(self) -> ShopCatalog:
        return self.crm.call_catalogs.for_call(self.context.call_sid)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.catalog.shop.timezone)

    @property
    def now(self) -> datetime:
        """Now in the shop's time zone (slots and dates are the shop's local ones)."""
        return self.now_utc.astimezone(self.tz)

    def local(self, value: datetime) -> datetime:
        """A datetime in shop time: naive means the shop's wall clock."""
        if value.tzinfo is None:
            return value.replace(tzinfo=self.tz)
        return value.astimezone(self.tz)

    @cached_property
    def verified_customer_id(self) -> str | None:
        """Whom the caller proved to be on this call (`verify_customer`), from the call record."""
        if not self.context.call_sid:
            return None
        record = self.crm.calls.get(self.context.call_sid)
        return record.verified_customer_id if record else None

    @cached_property
    def customer_id(self) -> str | None:
        """The webhook's identification, else whom the caller verified as, else the owner of
        the calling number (`verify_customer` only binds a caller nobody recognised)."""
        if self.context.customer_id:
            return self.context.customer_id
        if self.verified_customer_id:
            return self.verified_customer_id
        if self.context.customer_number:
            return self.crm.customers.id_for_phone(self.context.customer_number)
        return None

    def require_customer(self, claimed: str | None = None) -> str:
        """The customer on the call; refuses if unknown or if the model claims someone else."""
        customer_id = self.customer_id
        if not customer_id:
            raise Refused(NOT_IDENTIFIED)
        if claimed and claimed != customer_id:
            raise Refused(
                Refusal(
                    error="not_allowed",
                    message="I can only help with the account of the person calling.",
                )
            )
        return customer_id

    @cached_property
    def file(self) -> CustomerFile:
        """The caller's whole file (profile, vehicles, history, appointments): one Query."""
        try:
            return self.crm.customers.file(self.require_customer())
        except NotFound as error:
            raise Refused(NOT_IDENTIFIED) from error
