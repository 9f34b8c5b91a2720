"""Twilio request signatures: is this request really from Twilio, for this URL, with this body?

Twilio signs the full URL it requested plus every POST parameter (blank ones included) with the
account's auth token (`X-Twilio-Signature`). API Gateway does not reliably tell us the host and
scheme Twilio used, so the URL is rebuilt from the configured public base URL + the path + the
raw query string; a request signed for any other URL, or with a changed body, fails.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import parse_qsl

from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)


class ForgedRequest(Exception):
    """The request is not signed by Twilio for this URL and body (answer 403, touch nothing)."""


class FormParams(dict):
    """POST parameters: first value per name for the logic, every value for the signature.

    `RequestValidator` asks a multi-dict for `getall(name)`, so a repeated parameter is signed
    exactly as Twilio signed it.
    """

    def __init__(self, pairs: list[tuple[str, str]]):
        super().__init__()
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        return self._all[name]


def decode_body(body: str | None, is_base64: bool) -> str:
    """The request body as text (API Gateway base64-encodes form posts); garbage is refused."""
    if not body:
        return ""
    try:
        return base64.b64decode(body, validate=True).decode("utf-8") if is_base64 else body
    except ValueError as error:  # bad base64 or not UTF-8: Twilio never sends that
        raise ForgedRequest("unreadable body") from error


def parse_form(body: str) -> FormParams:
    """A form-encoded body → parameters, keeping blank values (Twilio signs them too)."""
    return FormParams(parse_qsl(body, keep_blank_values=True))


def public_request_url(public_url: str, path: str, raw_query: str = "") -> str:
    """The URL Twilio requested: configured base URL + path (+ `?` + the raw query string)."""
    url = public_url.rstrip("/") + path
    return f"{url}?{raw_query}" if raw_query else url


def verify(
    auth_token: str, url: str, params: Mapping[str, str], headers: Mapping[str, str]
) -> None:
    """Raise `ForgedRequest` unless `headers` carry Twilio's valid signature of `url` + `params`.

    `headers` must be lower-cased (HTTP API payload v2 delivers them so).
    """
    signature = headers.get(SIGNATURE_HEADER.lower())
    if not signature:
        raise ForgedRequest("no X-Twilio-Signature header")
    algorithm = get_signature_algorithm(headers.get(SIGNATURE_SETTINGS_HEADER.lower()))
    if not RequestValidator(auth_token).validate(url, params, signature, algorithm=algorithm):
        raise ForgedRequest("signature does not match the URL and parameters")
