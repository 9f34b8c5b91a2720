"""Short-lived, single-use tokens that let a media stream into the bridge.

The webhook issues one per call in the TwiML `<Parameter>`s and records its id on the call
record; the bridge checks the signature on `start` before it opens anything upstream, then
consumes the id with a conditional write (`CallRepository.claim_stream`), which succeeds once
and never after the call has ended. The signature binds the call SID, the direction, the id and
the expiry, so a token seen on one call cannot open a stream for another, and it expires after
two minutes. Everything else about the call the bridge reads from the record, not the stream.

A test call from the console (direction `test`) has no Twilio call behind it: its token is also
bound to the staff member and sign-in session that asked for it (`bound_to`, carried in the
token and signed with the rest), and a `test` token without that binding is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import NamedTuple

DEFAULT_TTL_SECONDS = 120
# Directions whose tokens must be bound to a staff session (see `staff_binding`).
BOUND_DIRECTIONS = frozenset({"test"})


class InvalidStreamToken(Exception):
    """The stream token is missing, malformed, forged, for another call, or expired."""


class StreamGrant(NamedTuple):
    """What identifies one issued token: its id (random) and its expiry (epoch seconds)."""

    token_id: str
    expires: int


def new_grant(ttl: int = DEFAULT_TTL_SECONDS, now: float | None = None) -> StreamGrant:
    return StreamGrant(secrets.token_hex(8), int((time.time() if now is None else now) + ttl))


def staff_binding(staff: str, session: str) -> str:
    """The `bound_to` of a test call's token: the staff member's `sub` and their session."""
    return _b64(f"{staff}|{session}".encode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signature(
    key: str, call_sid: str, direction: str, grant: StreamGrant, bound_to: str = ""
) -> str:
    message = f"{call_sid}|{direction}|{grant.expires}|{grant.token_id}"
    if bound_to:
        message += f"|{bound_to}"
    return _b64(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest())


def issue_token(
    call_sid: str,
    direction: str,
    key: str,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
    grant: StreamGrant | None = None,
    bound_to: str = "",
) -> str:
    """Return `<expiry>.<id>.<signature>` for this call SID and direction, or
    `<expiry>.<id>.<bound_to>.<signature>` when bound to a staff session.

    With `grant` (one already recorded on the call) the same token comes out again: a replayed
    webhook is answered with the token it was first given, never a fresh one.
    """
    grant = grant or new_grant(ttl, now)
    signature = _signature(key, call_sid, direction, grant, bound_to)
    return ".".join(p for p in (str(grant.expires), grant.token_id, bound_to, signature) if p)


def verify_token(
    token: str | None, call_sid: str, direction: str, key: str, now: float | None = None
) -> str:
    """The token's id, if `token` is live and was issued for this call and direction.

    Raises `InvalidStreamToken` otherwise. A valid signature is not enough to open a stream: the
    caller must still consume the id (`CallRepository.claim_stream`).
    """
    parts = (token or "").split(".")
    if len(parts) not in (3, 4) or not all(parts):
        raise InvalidStreamToken("missing or malformed token")
    expires_text, token_id, *bound, signature = parts
    if (direction in BOUND_DIRECTIONS) != bool(bound):
        raise InvalidStreamToken("binding does not match the direction")
    if not (expires_text.isascii() and expires_text.isdigit()) or len(expires_text) > 12:
        raise InvalidStreamToken("malformed expiry")
    grant = StreamGrant(token_id, int(expires_text))
    expected = _signature(key, call_sid, direction, grant, "".join(bound))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidStreamToken("signature does not match this call")
    if (time.time() if now is None else now) > int(expires_text):
        raise InvalidStreamToken("token expired")
    return token_id
