"""Short-lived tokens that let a media stream into the bridge.

The webhook issues one per call in the TwiML `<Parameter>`s; the bridge checks it on `start`
before it opens anything upstream. The token binds the call SID and the direction, so a token
seen on one call cannot open a stream for another, and it expires after two minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

DEFAULT_TTL_SECONDS = 120


class InvalidStreamToken(Exception):
    """The stream token is missing, malformed, forged, for another call, or expired."""


def _signature(key: str, call_sid: str, direction: str, expires: int) -> str:
    message = f"{call_sid}|{direction}|{expires}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue_token(
    call_sid: str,
    direction: str,
    key: str,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """Return `<expiry>.<signature>` for this call SID and direction."""
    expires = int((time.time() if now is None else now) + ttl)
    return f"{expires}.{_signature(key, call_sid, direction, expires)}"


def verify_token(
    token: str | None, call_sid: str, direction: str, key: str, now: float | None = None
) -> None:
    """Raise `InvalidStreamToken` unless `token` is live and was issued for this call, direction."""
    if not token or "." not in token:
        raise InvalidStreamToken("missing or malformed token")
    expires_text, signature = token.split(".", 1)
    if not expires_text.isdigit():
        raise InvalidStreamToken("malformed expiry")
    expires = int(expires_text)
    expected = _signature(key, call_sid, direction, expires)
    if not hmac.compare_digest(signature, expected):
        raise InvalidStreamToken("signature does not match this call")
    if (time.time() if now is None else now) > expires:
        raise InvalidStreamToken("token expired")
