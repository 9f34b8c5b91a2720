"""The local stand-in for the console's Cognito user pool: the two calls the sign-in page makes.

- `InitiateAuth` (USER_PASSWORD_AUTH) answers a development token (HS256, signed with a local
  key) carrying the claims a Cognito access token carries (`username`, `cognito:groups`,
  `client_id`, `token_use`).
- A staff member the owner invited signs in first with a temporary password; Cognito answers
  that with the `NEW_PASSWORD_REQUIRED` challenge and a session, and the page completes it with
  `RespondToAuthChallenge`. The invited development login behaves the same way, refusing a new
  password that breaks Cognito's default policy, so the page's challenge form is tested here.

Errors have Cognito's shape (`__type` and `message`, HTTP 400), which is what the page reads.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

CLIENT_ID = "pitstop-local-console"
ISSUER = "pitstop-local"
# A development key for development tokens: the local stack is never reachable from outside.
DEV_SIGNING_KEY = "pitstop-dev-console-signing-key-local-only"
TOKEN_SECONDS = 8 * 3600
# The development logins `pitstop dev` prints: one owner, one advisor (who may not edit settings).
DEV_USERS: dict[str, tuple[str, list[str]]] = {
    "owner@pitstop.local": ("pitstop-dev-owner", ["owners"]),
    "advisor@pitstop.local": ("pitstop-dev-advisor", ["advisors"]),
}
# A newly invited advisor: the temporary password must be replaced at the first sign-in.
INVITED_USER = "invited@pitstop.local"
INVITED_TEMPORARY_PASSWORD = "pitstop-dev-temporary"
_TARGET = "AWSCognitoIdentityProviderService."
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"
# Cognito's default password policy, and the message it gives for each rule broken.
_POLICY = (
    (re.compile(r".{8,}"), "Password not long enough"),
    (re.compile(r"[a-z]"), "Password must have lowercase characters"),
    (re.compile(r"[A-Z]"), "Password must have uppercase characters"),
    (re.compile(r"[0-9]"), "Password must have numeric characters"),
    (re.compile(r"[^A-Za-z0-9]"), "Password must have symbol characters"),
)
_NONCONFORMING = "Password does not conform to policy"
_SESSION_SECONDS = 180  # Cognito's challenge session lasts three minutes


def issue_token(username: str, groups: list[str], now: float | None = None) -> str:
    """A development access token with the claims Cognito puts in one."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": username,
        "username": username,
        "cognito:groups": groups,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "iss": ISSUER,
        "iat": issued,
        "exp": issued + TOKEN_SECONDS,
    }
    return jwt.encode(claims, DEV_SIGNING_KEY, algorithm="HS256")


def verify_token(token: str) -> dict[str, Any] | None:
    """The token's claims if it is a valid, unexpired development token for the console."""
    try:
        claims = jwt.decode(
            token,
            DEV_SIGNING_KEY,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iss", "username"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("client_id") == CLIENT_ID else None


def _error(kind: str, message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"__type": kind, "message": message}


def _signed_in(username: str, groups: list[str]) -> tuple[int, dict[str, Any]]:
    token = issue_token(username, groups)
    result = {"AccessToken": token, "IdToken": token, "ExpiresIn": TOKEN_SECONDS}
    return 200, {"AuthenticationResult": {**result, "TokenType": "Bearer"}}


@dataclass
class _User:
    password: str
    groups: list[str]
    must_change: bool = False


class DevUserPool:
    """The development logins of one local console; a changed password lives as long as it."""

    def __init__(self) -> None:
        self._users = {name: _User(pw, groups) for name, (pw, groups) in DEV_USERS.items()}
        self._users[INVITED_USER] = _User(INVITED_TEMPORARY_PASSWORD, ["advisors"], True)
        self._sessions: dict[str, tuple[str, float]] = {}  # session → (username, expiry)
        self._lock = threading.Lock()  # the console's HTTP server is threaded

    def logins(self) -> list[tuple[str, str]]:
        """(username, password) of each development login, as `pitstop dev` prints them."""
        return [(name, user.password) for name, user in self._users.items()]

    def handle(self, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One Cognito Identity Provider call by its `X-Amz-Target`: status and JSON body."""
        if body.get("ClientId") != CLIENT_ID:
            return _error("ResourceNotFoundException", "User pool client does not exist.")
        if target == _TARGET + "InitiateAuth":
            return self._initiate(body)
        if target == _TARGET + "RespondToAuthChallenge":
            return self._respond(body)
        return _error("UnknownOperationException", target)

    def _initiate(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        params = body.get("AuthParameters") or {}
        username = str(params.get("USERNAME", "")).lower()
        user = self._users.get(username)
        if (
            body.get("AuthFlow") != "USER_PASSWORD_AUTH"
            or user is None
            or params.get("PASSWORD") != user.password
        ):
            return _error("NotAuthorizedException", "Incorrect username or password.")
        if not user.must_change:
            return _signed_in(username, user.groups)
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session] = (username, time.monotonic() + _SESSION_SECONDS)
        return 200, {
            "ChallengeName": NEW_PASSWORD_REQUIRED,
            "Session": session,
            "ChallengeParameters": {"USER_ID_FOR_SRP": username, "requiredAttributes": "[]"},
        }

    def _respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        answers = body.get("ChallengeResponses") or {}
        username = str(answers.get("USERNAME", "")).lower()
        with self._lock:
            owner, expires = self._sessions.get(str(body.get("Session")), ("", 0.0))
        if body.get("ChallengeName") != NEW_PASSWORD_REQUIRED or owner != username:
            return _error("NotAuthorizedException", "Invalid session for the user.")
        if time.monotonic() > expires:
            return _error(
                "NotAuthorizedException", "Invalid session for the user, session is expired."
            )
        password = str(answers.get("NEW_PASSWORD", ""))
        if broken := [message for rule, message in _POLICY if not rule.search(password)]:
            return _error(
                "InvalidPasswordException", f"Password does not conform to policy: {broken[0]}"
            )
        with self._lock:
            self._sessions.pop(str(body["Session"]), None)
            user = self._users[username]
            user.password, user.must_change = password, False
        return _signed_in(username, user.groups)
