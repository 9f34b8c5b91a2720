"""Short-lived, single-use tokens that let a media stream into the bridge.

The webhook issues one per call in the TwiML `<Parameter>`s and records its id on the call
record; the bridge checks the signature on `start` before it opens anything upstream, then
consumes the id with a conditional write (`CallRepository.claim_stream`), which succeeds once
and never after the call has ended. The signature binds the call SID, the direction, the id and
the expiry, so a token seen on one call cannot open a stream for another, and it expires after
two minutes. Everything else about the call the bridge reads from the record, not the stream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from typing import NamedTuple

DEFAULT_TTL_SECONDS = 120


class InvalidStreamToken(Exception):
    """The stream token is missing, malformed, forged, for another call, or expired."""


class StreamGrant(NamedTuple):
    """What identifies one issued token: its id (random) and its expiry (epoch seconds)."""

    token_id: str
    expires: int


def new_grant(ttl: int = DEFAULT_TTL_SECONDS, now: float | None = None) -> StreamGrant:
    return StreamGrant(secrets.token_hex(8), int((time.time() if now is None else now) + ttl))


def _signature(key: str, call_sid: str, direction: str, grant: StreamGrant) -> str:
    message = f"{call_sid}|{direction}|{grant.expires}|{grant.token_id}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(
    call_sid: str,
    direction: str,
    key: str,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
    grant: StreamGrant | None = None,
) -> str:
    """Return `<expiry>.<id>.<signature>` for this call SID and direction.

    With `grant` (one already recorded on the call) the same token comes out again: a replayed
    webhook is answered with the token it was first given, never a fresh one.
    """
    grant = grant or new_grant(ttl, now)
    return f"{grant.expires}.{grant.token_id}.{_signature(key, call_sid, direction, grant)}"


def verify_token(
    token: str | None, call_sid: str, direction: str, key: str, now: float | None = None
) -> str:
    """The token's id, if `token` is live and was issued for this call and direction.

    Raises `InvalidStreamToken` otherwise. A valid signature is not enough to open a stream: the
    caller must still consume the id (`CallRepository.claim_stream`).
    """
    parts = (token or "").split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidStreamToken("missing or malformed token")
    expires_text, token_id, signature = parts
    if not (expires_text.isascii() and expires_text.isdigit()) or len(expires_text) > 12:
        raise InvalidStreamToken("malformed expiry")
    expected = _signature(key, call_sid, direction, StreamGrant(token_id, int(expires_text)))
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise InvalidStreamToken("signature does not match this call")
    if (time.time() if now is None else now) > int(expires_text):
        raise InvalidStreamToken("token expired")
    return token_id
