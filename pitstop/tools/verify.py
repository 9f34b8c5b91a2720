"""Finding a caller who phones from another number: their name plus one fact only they know.

A spouse calling from work is not recognised by the number, so the tools know nobody and read
out nothing. `verify_customer` checks a full name against the name index and a second fact
(a booking reference from their text, a licence plate, or the last 6 characters of a VIN)
against that customer's file; on a match the call record is bound to the customer and every
later tool of the call acts for them (`ToolEnv.customer_id`).

A guess must learn nothing: an unknown name and a known name with a wrong fact get the very
same answer, and each call has `MAX_ATTEMPTS` tries, spent before the lookup by a conditional
counter on the call record (concurrent guesses cannot overspend it).
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from pitstop.dal import CustomerFile, NotFound
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result

MAX_ATTEMPTS = 3

NO_MATCH = Refusal(
    error="not_verified",
    message="I couldn't match those details to an account. Could you check them, or I can "
    "take a message for the team.",
)
ALREADY_IDENTIFIED = Refusal(
    error="already_identified",
    message="You're already identified on this call, so there's nothing to verify.",
)
UNAVAILABLE = Refusal(
    error="verification_unavailable",
    message="I can't check account details on this call any more. I can take a message for "
    "the team, or put you through to someone.",
)


def _plain(value: str) -> str:
    """Letters and digits only, upper case: how plates, VINs and references are compared."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


class VerifyCustomerArgs(Arguments):
    name: str = Field(min_length=1, max_length=100, description="The caller's full name.")
    booking_reference: str | None = Field(
        default=None,
        max_length=40,
        description="The booking reference from their text (e.g. 'apt_3f2a9c1d7e4b').",
    )
    plate: str | None = Field(
        default=None, max_length=16, description="The licence plate of their car."
    )
    vin_ending: str | None = Field(
        default=None,
        min_length=6,
        max_length=12,
        description="The last 6 characters of their car's VIN.",
    )

    @model_validator(mode="after")
    def _one_fact(self) -> VerifyCustomerArgs:
        if not (self.booking_reference or self.plate or self.vin_ending):
            raise ValueError("give booking_reference, plate or vin_ending besides the name")
        if self.vin_ending and len(_plain(self.vin_ending)) != 6:
            raise ValueError("vin_ending is the last 6 characters of the VIN")
        return self


class VerifyCustomerResult(Result):
    verified: bool = True
    customer_id: str
    message: str


VERIFY_CUSTOMER = (
    "Verify a caller whose number is not recognised (lookup_customer said found=false) but who "
    "says they are a customer, or who asks about an account other than the calling number's: "
    "ask their full name and ONE of: the booking reference from their text, their licence "
    "plate, or the last 6 characters of their VIN. Until this returns verified=true you know "
    "nothing about that customer: do not guess or repeat details. On success, use the other "
    "tools as usual (lookup_customer, get_upcoming_appointments, ...). A refusal never says "
    "which detail was wrong; after a few failed tries it refuses for the rest of the call."
)


def verify_customer(args: VerifyCustomerArgs, env: ToolEnv) -> VerifyCustomerResult:
    if env.customer_id:
        raise Refused(ALREADY_IDENTIFIED)
    call_sid = env.context.call_sid
    if not call_sid or not env.crm.calls.count_verify_attempt(call_sid, MAX_ATTEMPTS):
        raise Refused(UNAVAILABLE)
    matches = [cid for cid in env.crm.customers.ids_for_name(args.name) if _proves(args, env, cid)]
    if len(matches) != 1:  # nobody, or namesakes sharing the fact: either way, no one proven
        raise Refused(NO_MATCH)
    env.crm.calls.bind_verified_customer(call_sid, matches[0])
    return VerifyCustomerResult(
        customer_id=matches[0],
        message="Thanks, that matches: I can help with that account now.",
    )


def _proves(args: VerifyCustomerArgs, env: ToolEnv, customer_id: str) -> bool:
    """Every fact the caller gave matches this customer's file."""
    try:
        file = env.crm.customers.file(customer_id)
    except NotFound:
        return False  # an index item left behind by a customer since removed
    checks = (
        (args.booking_reference, _has_reference),
        (args.plate, _has_plate),
        (args.vin_ending, _has_vin_ending),
    )
    return all(check(file, _plain(value)) for value, check in checks if value)


def _has_reference(file: CustomerFile, reference: str) -> bool:
    return any(_plain(a.appointment_id) == reference for a in file.appointments)


def _has_plate(file: CustomerFile, plate: str) -> bool:
    return any(v.plate and _plain(v.plate) == plate for v in file.vehicles)


def _has_vin_ending(file: CustomerFile, ending: str) -> bool:
    return any(v.vin and v.vin.upper().endswith(ending) for v in file.vehicles)
