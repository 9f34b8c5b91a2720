"""Signature checking with twilio's own RequestValidator computing the expected signatures."""

import base64
from urllib.parse import parse_qsl, urlencode

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from functions.webhook import signature

TOKEN = "unit-auth-token"
URL = "https://hooks.example.test/voice/reminder?appointment_id=apt_1&customer_id=cus_1"
PARAMS = {"CallSid": "CA123", "From": "+15551234567", "CallerName": "", "To": "+15005550006"}


def _headers(sig):
    return {"x-twilio-signature": sig}


def test_valid_signature_passes():
    sig = RequestValidator(TOKEN).compute_signature(URL, PARAMS)
    form = signature.parse_form(urlencode(PARAMS))
    signature.verify(TOKEN, URL, form, _headers(sig))


def test_blank_parameters_are_kept_because_twilio_signs_them():
    form = signature.parse_form("CallSid=CA1&CallerName=&From=%2B15551234567")
    assert form == {"CallSid": "CA1", "CallerName": "", "From": "+15551234567"}


def test_repeated_parameters_are_signed_like_twilio_signs_them():
    body = "CallSid=CA1&StatusCallbackEvent=ringing&StatusCallbackEvent=answered"
    # werkzeug's MultiDict is what twilio's validator supports for Flask apps.
    sig = RequestValidator(TOKEN).compute_signature(URL, MultiDict(parse_qsl(body)))
    signature.verify(TOKEN, URL, signature.parse_form(body), _headers(sig))
    assert signature.parse_form(body)["StatusCallbackEvent"] == "ringing"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: {**p, "From": "+15550000000"},  # tampered body
        lambda p: {**p, "Extra": "1"},  # added parameter
        lambda p: {k: v for k, v in p.items() if k != "To"},  # dropped parameter
    ],
)
def test_tampered_body_fails(mutate):
    sig = RequestValidator(TOKEN).compute_signature(URL, PARAMS)
    with pytest.raises(signature.ForgedRequest):
        signature.verify(TOKEN, URL, signature.parse_form(urlencode(mutate(PARAMS))), _headers(sig))


@pytest.mark.parametrize(
    "other_url",
    [
        "https://hooks.example.test/voice",  # other path
        "https://evil.example.test/voice/reminder?appointment_id=apt_1&customer_id=cus_1",
        "https://hooks.example.test/voice/reminder?appointment_id=apt_2&customer_id=cus_1",
    ],
)
def test_signature_for_another_url_fails(other_url):
    sig = RequestValidator(TOKEN).compute_signature(other_url, PARAMS)
    with pytest.raises(signature.ForgedRequest):
        signature.verify(TOKEN, URL, signature.parse_form(urlencode(PARAMS)), _headers(sig))


def test_missing_header_and_wrong_token_fail():
    form = signature.parse_form(urlencode(PARAMS))
    with pytest.raises(signature.ForgedRequest, match="no X-Twilio-Signature"):
        signature.verify(TOKEN, URL, form, {})
    sig = RequestValidator("another-token").compute_signature(URL, PARAMS)
    with pytest.raises(signature.ForgedRequest):
        signature.verify(TOKEN, URL, form, _headers(sig))


def test_sha256_signature_settings_header_is_honoured():
    sig = RequestValidator(TOKEN).compute_signature(URL, PARAMS, algorithm="HMAC_SHA256")
    headers = {
        **_headers(sig),
        "x-twilio-webhooks-signature-settings": "key=k1,algorithm=HMAC_SHA256",
    }
    signature.verify(TOKEN, URL, signature.parse_form(urlencode(PARAMS)), headers)
    with pytest.raises(signature.ForgedRequest):
        signature.verify(TOKEN, URL, signature.parse_form(urlencode(PARAMS)), _headers(sig))


def test_public_url_is_base_plus_path_plus_raw_query():
    assert signature.public_request_url("https://h.test/", "/voice", "") == "https://h.test/voice"
    assert (
        signature.public_request_url("https://h.test", "/voice/reminder", "a=1&b=%2B1")
        == "https://h.test/voice/reminder?a=1&b=%2B1"
    )


def test_decode_body_handles_base64_and_plain():
    raw = urlencode(PARAMS)
    assert signature.decode_body(base64.b64encode(raw.encode()).decode(), True) == raw
    assert signature.decode_body(raw, False) == raw
    assert signature.decode_body(None, True) == ""


@pytest.mark.parametrize("body", ["not base64!", base64.b64encode(b"\xff\xfe").decode()])
def test_unreadable_body_is_refused_not_crashed(body):
    with pytest.raises(signature.ForgedRequest):
        signature.decode_body(body, True)
