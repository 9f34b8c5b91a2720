"""A test call from the console: the browser is the phone, the bridge the same one callers reach.

A staff member asks for one as a known customer or as a new caller. This records the call as
the voice webhook records a real one (its context and one stream grant on the call record,
`CallRepository.open_stream`), with a direction of its own (`test`) and a short-lived token
bound to the staff member and their sign-in session, which the bridge consumes once
(`claim_stream`) exactly as it does Twilio's. Nothing here knows Lambda or the browser.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, model_validator

from pitstop.dal import Crm, NotFound
from pitstop.models import CallDirection, CallRecord, CallStatus
from pitstop.stream_token import issue_token, new_grant, staff_binding

# The browser opens the stream as soon as it has the token: a minute is plenty.
TEST_TOKEN_TTL_SECONDS = 60
# A new caller gets a fictional number (NANP 555-01XX in a random area code) nobody owns.
_NUMBER_TRIES = 20


class UnknownCustomer(Exception):
    """The customer to call as is not in the CRM."""


class TestCallRequest(BaseModel):
    """Who is calling: a known customer (`customer_id`) or a new caller, never both."""

    __test__ = False  # not a pytest test class, whatever its name
    customer_id: str | None = None
    new_caller: bool = False

    @model_validator(mode="after")
    def _one_caller(self) -> Self:
        if bool(self.customer_id) == self.new_caller:
            raise ValueError("give either customer_id or new_caller: true")
        return self


class StaffSession(BaseModel):
    """The staff member asking (`sub`) and the sign-in session they ask from."""

    staff: str
    session: str


class TestCallGrant(BaseModel):
    """What the browser needs to place the call: the stream and its `start` parameters."""

    __test__ = False
    call_sid: str
    stream_sid: str
    customer_number: str
    customer_id: str | None
    expires: int


def start_test_call(
    crm: Crm, request: TestCallRequest, asker: StaffSession, now: datetime, key: str
) -> tuple[TestCallGrant, str]:
    """Record the test call and grant its stream; the grant and the bound stream token."""
    customer_number, customer_id = _caller(crm, request)
    call_sid = "TC" + uuid.uuid4().hex
    grant = new_grant(TEST_TOKEN_TTL_SECONDS, now.timestamp())
    record = CallRecord(
        call_sid=call_sid,
        direction=CallDirection.TEST,
        customer_number=customer_number,
        customer_id=customer_id,
        shop_id=crm.settings.shop_id,
        status=CallStatus.RINGING,
        started_at=now,
        stream_token_id=grant.token_id,
        stream_token_expires=grant.expires,
        test_staff=asker.staff,
        test_session=asker.session,
    )
    crm.calls.open_stream(record, now)
    bound = staff_binding(asker.staff, asker.session)
    token = issue_token(call_sid, CallDirection.TEST.value, key, grant=grant, bound_to=bound)
    return (
        TestCallGrant(
            call_sid=call_sid,
            stream_sid="MZ" + uuid.uuid4().hex,
            customer_number=customer_number,
            customer_id=customer_id,
            expires=grant.expires,
        ),
        token,
    )


def _caller(crm: Crm, request: TestCallRequest) -> tuple[str, str | None]:
    """The calling number and customer: the customer's own, or a fresh fictional number."""
    if request.customer_id:
        try:
            customer = crm.customers.get(request.customer_id)
        except NotFound as error:
            raise UnknownCustomer(request.customer_id) from error
        return customer.phone, customer.customer_id
    for _ in range(_NUMBER_TRIES):
        number = f"+1{secrets.randbelow(800) + 200}55501{secrets.randbelow(100):02d}"
        if crm.customers.id_for_phone(number) is None:
            return number, None
    raise RuntimeError("no free fictional number for a new caller")
