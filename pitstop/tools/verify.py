"""Finding a caller who phones from another number: their name plus one fact only they know.

A spouse calling from work is not recognised by the number, so the tools know nobody and read
out nothing. `verify_customer` checks a full name against the name index and a second fact
(a booking reference from their text, a licence plate, or the last 6 characters of a VIN)
against that customer's file; on a match the call record is bound to the customer and every
later tool of the call acts for them (`ToolEnv.customer_id`).

Or the second fact is a code texted to the number on file (`send_code`, then `code`): 6 random
digits, kept only as a salted hash beside the customer, for this call, for `CODE_TTL`, with
`CODE_TRIES` tries and used once. The number itself is never said, and a customer who opted
out of texts is not texted (the caller is asked for another fact instead).

A guess must learn nothing: an unknown name and a known name with a wrong fact get the very
same answer, and each call has `MAX_ATTEMPTS` tries, spent before the lookup by a conditional
counter on the call record (concurrent guesses cannot overspend it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from pydantic import Field, model_validator

from pitstop.dal import CustomerFile, NotFound
from pitstop.dal.customers import StoredCode
from pitstop.dal.keys import plain_id
from pitstop.i18n import text
from pitstop.telephony import OptedOut
from pitstop.tools.context import Refused, ToolEnv
from pitstop.tools.schema import Arguments, Refusal, Result

MAX_ATTEMPTS = 3
CODE_TTL = timedelta(minutes=10)
CODE_TRIES = 3

NO_MATCH = Refusal(
    error="not_verified",
    message="I couldn't match those details to an account. Could you check them, or I can "
    "take a message for the team.",
)
ALREADY_IDENTIFIED = Refusal(
    error="already_identified",
    message="You're already identified on this call, so there's nothing to verify.",
)
CANNOT_TEXT = Refusal(
    error="code_unavailable",
    message="I can't text a code for that account. Could you give me your licence plate, the "
    "last 6 characters of your VIN, or the booking reference from your text instead?",
)
UNAVAILABLE = Refusal(
    error="verification_unavailable",
    message="I can't check account details on this call any more. I can take a message for "
    "the team, or put you through to someone.",
)


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
    send_code: bool = Field(
        default=False, description="Text a 6-digit code to the number on file for this name."
    )
    code: str | None = Field(
        default=None, max_length=20, description="The 6-digit code the caller read back."
    )

    @model_validator(mode="after")
    def _one_fact(self) -> VerifyCustomerArgs:
        facts = (self.booking_reference, self.plate, self.vin_ending, self.send_code, self.code)
        if sum(bool(f) for f in facts) != 1:
            raise ValueError(
                "give exactly one of booking_reference, plate, vin_ending, send_code or code "
                "besides the name"
            )
        if self.vin_ending and len(plain_id(self.vin_ending)) != 6:
            raise ValueError("vin_ending is the last 6 characters of the VIN")
        if self.code is not None and not re.fullmatch(r"\d{6}", plain_id(self.code)):
            raise ValueError("code is the 6 digits the caller was texted")
        return self


class VerifyCustomerResult(Result):
    verified: bool = True
    customer_id: str
    message: str


class CodeSentResult(Result):
    code_sent: bool = True
    message: str


#: The same answer whether or not the name is on file: asking for a code learns nothing.
CODE_SENT = CodeSentResult(
    message="If that name is on file, I've texted a 6-digit code to the number we have for it. "
    "Please read the code back to me."
)

VERIFY_CUSTOMER = (
    "Verify a caller whose number is not recognised (lookup_customer said found=false) but who "
    "says they are a customer, or who asks about an account other than the calling number's: "
    "ask their full name and ONE of: the booking reference from their text, their licence "
    "plate, or the last 6 characters of their VIN; or, if they have none of those, call it "
    "with send_code=true to text a code to the number on file (never say the number), then "
    "again with the code they read back. Until this returns verified=true you know "
    "nothing about that customer: do not guess or repeat details. On success, use the other "
    "tools as usual (lookup_customer, get_upcoming_appointments, ...). A refusal never says "
    "which detail was wrong; after a few failed tries it refuses for the rest of the call."
)


def verify_customer(
    args: VerifyCustomerArgs, env: ToolEnv
) -> VerifyCustomerResult | CodeSentResult:
    if env.customer_id:
        raise Refused(ALREADY_IDENTIFIED)
    call_sid = env.context.call_sid
    if not call_sid:
        raise Refused(UNAVAILABLE)
    if args.code:  # the code has tries of its own (`CODE_TRIES`)
        return _check_code(args.name, plain_id(args.code), env, call_sid)
    if not env.crm.calls.count_verify_attempt(call_sid, MAX_ATTEMPTS):
        raise Refused(UNAVAILABLE)
    if args.send_code:
        return _send_code(args.name, env, call_sid)
    matches = [cid for cid in env.crm.customers.ids_for_name(args.name) if _proves(args, env, cid)]
    if len(matches) != 1:  # nobody, or namesakes sharing the fact: either way, no one proven
        raise Refused(NO_MATCH)
    return _verified(env, call_sid, matches[0])


def _verified(env: ToolEnv, call_sid: str, customer_id: str) -> VerifyCustomerResult:
    env.crm.calls.bind_verified_customer(call_sid, customer_id)
    return VerifyCustomerResult(
        customer_id=customer_id,
        message="Thanks, that matches: I can help with that account now.",
    )


def _send_code(name: str, env: ToolEnv, call_sid: str) -> CodeSentResult:
    """Text a fresh code to the one customer of that name; nobody (or namesakes): the same
    answer, and no text."""
    ids = env.crm.customers.ids_for_name(name)
    if len(ids) != 1:
        return CODE_SENT
    try:
        customer = env.crm.customers.get(ids[0])
    except NotFound:
        return CODE_SENT  # an index item left behind by a customer since removed
    if not customer.sms_opt_in:
        raise Refused(CANNOT_TEXT)
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    stored = StoredCode(salt=salt, code_hash=_hash(salt, code))
    env.crm.customers.put_code(customer.customer_id, call_sid, stored, env.now_utc + CODE_TTL)
    body = text(
        env.catalog.settings.language,
        "sms.verify_code",
        shop_name=env.catalog.shop.name,
        code=code,
        minutes=CODE_TTL.seconds // 60,
    )
    try:
        env.send_sms(customer.phone, body)
    except OptedOut:
        env.crm.customers.set_sms_opt_in(customer.customer_id, False)
        raise Refused(CANNOT_TEXT) from None
    return CODE_SENT


def _check_code(name: str, code: str, env: ToolEnv, call_sid: str) -> VerifyCustomerResult:
    """A try at the code texted on this call: a match verifies (and uses the code up)."""
    customers = env.crm.customers
    for customer_id in customers.ids_for_name(name):
        stored = customers.spend_code_try(customer_id, call_sid, env.now_utc, CODE_TRIES)
        if (
            stored is not None
            and hmac.compare_digest(_hash(stored.salt, code), stored.code_hash)
            and customers.use_code(customer_id, call_sid, stored)
        ):
            return _verified(env, call_sid, customer_id)
    raise Refused(NO_MATCH)


def _hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


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
    return all(check(file, plain_id(value)) for value, check in checks if value)


def _has_reference(file: CustomerFile, reference: str) -> bool:
    return any(plain_id(a.appointment_id) == reference for a in file.appointments)


def _has_plate(file: CustomerFile, plate: str) -> bool:
    return any(v.plate and plain_id(v.plate) == plate for v in file.vehicles)


def _has_vin_ending(file: CustomerFile, ending: str) -> bool:
    return any(v.vin and v.vin.upper().endswith(ending) for v in file.vehicles)
