"""Who opens the live view: the console's Cognito access token, checked without new dependencies.

A WebSocket API has no JWT authorizer, so `$connect` checks the token itself. Cognito's own
`GetUser` does the cryptography: it answers only for a token that is well signed, unexpired and
not revoked (sign-out revokes), and needs no IAM permission. It answers for a token of *any* user
pool, so the claims, authentic once GetUser has accepted the token, must then name our pool (the
issuer) and our app client, be an access token, and carry a staff group.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from botocore.exceptions import ClientError

from pitstop.admin.staff import Staff, staff_from_claims

# What GetUser says of a token that is bad, expired, revoked or of a deleted/disabled user.
REFUSED = frozenset(
    {"NotAuthorizedException", "UserNotFoundException", "InvalidParameterException"}
)


def issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def verified_staff(
    token: str, cognito: Any, *, region: str, user_pool_id: str, client_id: str
) -> Staff | None:
    """Whom the token belongs to (check `is_staff`), or None: not a valid token of our client.

    Errors other than a refused token (throttling, an outage) raise: `$connect` then fails, which
    refuses the connection too, and the log says why."""
    if not token or token.count(".") != 2:
        return None
    try:
        cognito.get_user(AccessToken=token)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in REFUSED:
            return None
        raise
    claims = _claims(token)
    if (
        claims.get("iss") != issuer(region, user_pool_id)
        or claims.get("client_id") != client_id
        or claims.get("token_use") != "access"
    ):
        return None
    return staff_from_claims(claims)


def _claims(token: str) -> dict[str, Any]:
    """The payload of a token Cognito has just accepted (so its signature is already checked)."""
    payload = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded if isinstance(decoded, dict) else {}
