"""Who is using the console, from the claims of their Cognito token.

API Gateway's JWT authorizer has verified the token before the admin Lambda runs and passes its
claims in `requestContext.authorizer.jwt.claims`; the local stack does the same with its own
development token. An HTTP API passes a list claim such as `cognito:groups` as one string,
`"[owners advisors]"`, so both that form and a real list are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

GROUPS_CLAIM = "cognito:groups"


class Role(StrEnum):
    OWNER = "owners"
    ADVISOR = "advisors"


class Staff(BaseModel):
    username: str
    groups: list[str]

    @property
    def may_change_settings(self) -> bool:
        """Owners steer the agent; advisors run the day (calls, appointments, customers)."""
        return Role.OWNER in self.groups

    @property
    def is_staff(self) -> bool:
        return any(group in (Role.OWNER, Role.ADVISOR) for group in self.groups)


def staff_from_claims(claims: Mapping[str, Any] | None) -> Staff | None:
    """The staff member the verified claims name, or None when there are no claims."""
    if not claims:
        return None
    username = claims.get("username") or claims.get("cognito:username") or claims.get("email") or ""
    if not username:
        return None
    return Staff(username=str(username), groups=_groups(claims.get(GROUPS_CLAIM)))


def _groups(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [g for g in value.strip("[]").replace(",", " ").split() if g]
    return []
