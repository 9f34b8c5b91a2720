"""Secrets: from the environment locally, from Secrets Manager in AWS (cached by Powertools).

Nothing secret is ever a plain CloudFormation environment value: in AWS the environment only
names the secret's ARN (`PITSTOP_*_ARN`), and the value is fetched at run time and cached for
`SECRET_CACHE_SECONDS`. A value in the environment wins over its ARN (the bridge gets its values
as ECS secrets; the local stack uses the development defaults below).

Read on every call with plain `os.environ` lookups, not a settings model: the webhook asks for
two secrets per request, and a tenth of a millisecond per request is worth more than a class.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

DEV_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEV_TWILIO_AUTH_TOKEN = "pitstop-dev-auth-token"
DEV_STREAM_TOKEN_KEY = "pitstop-dev-stream-key"
# How long a fetched secret is reused: a rotated value applies within this time.
SECRET_CACHE_SECONDS = 300
# What the stack writes into a secret it creates, until the operator fills in the real value
# (`infra/secrets.py`). Never a credential: anyone who read the template could sign with it.
PLACEHOLDER = "REPLACE_ME"


class TwilioCredentials(NamedTuple):
    account_sid: str
    auth_token: str

    @property
    def placeholder(self) -> bool:
        """True while the secret still holds the stack's placeholder (or nothing)."""
        return not self.auth_token.strip() or PLACEHOLDER in (self.account_sid, self.auth_token)


def _secret_text(arn: str) -> str:
    # Imported lazily: the parameters module pulls in boto3 clients we only need in AWS.
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_secret(arn, max_age=SECRET_CACHE_SECONDS))


def _secret_json(arn: str) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(arn, transform="json", max_age=SECRET_CACHE_SECONDS)


def twilio_credentials() -> TwilioCredentials:
    """Twilio account SID and auth token (`TWILIO_*`, else the JSON secret
    `PITSTOP_TWILIO_SECRET_ARN`)."""
    arn = os.environ.get("PITSTOP_TWILIO_SECRET_ARN")
    if arn and not os.environ.get("TWILIO_AUTH_TOKEN"):
        secret = _secret_json(arn)
        return TwilioCredentials(secret["account_sid"], secret["auth_token"])
    return TwilioCredentials(
        os.environ.get("TWILIO_ACCOUNT_SID", DEV_TWILIO_ACCOUNT_SID),
        os.environ.get("TWILIO_AUTH_TOKEN", DEV_TWILIO_AUTH_TOKEN),
    )


def stream_token_key() -> str:
    """The HMAC key that signs media-stream tokens (shared by the webhook and the bridge):
    `PITSTOP_STREAM_TOKEN_KEY`, else the secret `PITSTOP_STREAM_TOKEN_KEY_ARN`."""
    arn = os.environ.get("PITSTOP_STREAM_TOKEN_KEY_ARN")
    if arn and not os.environ.get("PITSTOP_STREAM_TOKEN_KEY"):
        return _secret_text(arn)
    return os.environ.get("PITSTOP_STREAM_TOKEN_KEY", DEV_STREAM_TOKEN_KEY)


def openai_api_key() -> str | None:
    """The OpenAI key (`OPENAI_API_KEY`, else the secret `PITSTOP_OPENAI_SECRET_ARN`), or None
    when there is none (the local stack then uses the offline engine, and the after-call summary
    is built from the call's facts).

    ECS hands the bridge the value as a secret; the after-call Lambda resolves the ARN.
    """
    arn = os.environ.get("PITSTOP_OPENAI_SECRET_ARN")
    if arn and not os.environ.get("OPENAI_API_KEY"):
        value = _secret_text(arn).strip()
        return None if value in ("", PLACEHOLDER) else value
    return os.environ.get("OPENAI_API_KEY") or None
