"""Secrets: from the environment locally, from Secrets Manager in AWS (cached by Powertools).

Nothing secret is ever a plain CloudFormation environment value: in AWS the environment only
names the secret's ARN, and the value is fetched (and cached for five minutes) at run time.
"""

from __future__ import annotations

import os
from typing import NamedTuple

DEV_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEV_TWILIO_AUTH_TOKEN = "pitstop-dev-auth-token"
DEV_STREAM_TOKEN_KEY = "pitstop-dev-stream-key"
_CACHE_SECONDS = 300


class TwilioCredentials(NamedTuple):
    account_sid: str
    auth_token: str


def _from_secrets_manager(arn: str, transform: str | None = None):
    # Imported lazily: the parameters module pulls in boto3 clients we only need in AWS.
    from aws_lambda_powertools.utilities import parameters

    return parameters.get_secret(arn, transform=transform, max_age=_CACHE_SECONDS)


def twilio_credentials() -> TwilioCredentials:
    """Twilio account SID and auth token (env `TWILIO_*`, else the JSON secret `TWILIO_SECRET_ARN`)."""
    arn = os.environ.get("TWILIO_SECRET_ARN")
    if arn and not os.environ.get("TWILIO_AUTH_TOKEN"):
        secret = _from_secrets_manager(arn, transform="json")
        return TwilioCredentials(secret["account_sid"], secret["auth_token"])
    return TwilioCredentials(
        os.environ.get("TWILIO_ACCOUNT_SID", DEV_TWILIO_ACCOUNT_SID),
        os.environ.get("TWILIO_AUTH_TOKEN", DEV_TWILIO_AUTH_TOKEN),
    )


def stream_token_key() -> str:
    """The HMAC key that signs media-stream tokens (shared by the webhook and the bridge)."""
    arn = os.environ.get("STREAM_TOKEN_SECRET_ARN")
    if arn and not os.environ.get("PITSTOP_STREAM_TOKEN_SECRET"):
        return _from_secrets_manager(arn)
    return os.environ.get("PITSTOP_STREAM_TOKEN_SECRET", DEV_STREAM_TOKEN_KEY)


def openai_api_key() -> str | None:
    """The OpenAI key, or None when there is none (the local stack then uses the offline engine)."""
    arn = os.environ.get("OPENAI_SECRET_ARN")
    if arn and not os.environ.get("OPENAI_API_KEY"):
        return _from_secrets_manager(arn)
    return os.environ.get("OPENAI_API_KEY") or None
