"""The stream token binds call SID and direction, and expires."""

import pytest

from pitstop.stream_token import InvalidStreamToken, issue_token, verify_token

KEY = "k" * 32


def test_token_verifies_for_its_call_and_direction():
    token = issue_token("CA1", "inbound", KEY, now=1000)
    verify_token(token, "CA1", "inbound", KEY, now=1100)


@pytest.mark.parametrize(
    ("call_sid", "direction", "key", "now"),
    [
        ("CA2", "inbound", KEY, 1100),  # replayed on another call
        ("CA1", "reminder", KEY, 1100),  # another direction
        ("CA1", "inbound", "other-key", 1100),  # forged with another key
        ("CA1", "inbound", KEY, 1121),  # expired (ttl 120 s)
    ],
)
def test_token_refused(call_sid, direction, key, now):
    token = issue_token("CA1", "inbound", KEY, now=1000)
    with pytest.raises(InvalidStreamToken):
        verify_token(token, call_sid, direction, key, now=now)


@pytest.mark.parametrize("token", [None, "", "garbage", "abc.def", "1000."])
def test_malformed_tokens_refused(token):
    with pytest.raises(InvalidStreamToken):
        verify_token(token, "CA1", "inbound", KEY, now=0)
