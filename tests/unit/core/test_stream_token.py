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


def test_a_token_carries_its_id_and_a_recorded_grant_reissues_the_same_token():
    from pitstop.stream_token import StreamGrant

    token = issue_token("CA1", "inbound", KEY, now=1000)
    token_id = verify_token(token, "CA1", "inbound", KEY, now=1100)
    again = issue_token("CA1", "inbound", KEY, grant=StreamGrant(token_id, 1120))
    assert again == token


def test_the_id_is_signed():
    expires, token_id, signature = issue_token("CA1", "inbound", KEY, now=1000).split(".")
    with pytest.raises(InvalidStreamToken):
        verify_token(f"{expires}.{'0' * len(token_id)}.{signature}", "CA1", "inbound", KEY, now=0)


@pytest.mark.parametrize(
    "token", ["1000.abc.d\u00e9f", "\u0661\u0660\u0660\u0660.abc.def", "9" * 40 + ".a.b"]
)
def test_non_ascii_or_absurd_tokens_are_refused_not_raised(token):
    with pytest.raises(InvalidStreamToken):
        verify_token(token, "CA1", "inbound", KEY, now=0)


def test_a_test_call_token_is_bound_to_the_staff_session_that_asked_for_it():
    from pitstop.stream_token import staff_binding

    bound = staff_binding("sub-owner", "session-1")
    token = issue_token("TC1", "test", KEY, now=1000, bound_to=bound)
    assert token.split(".")[2] == bound
    verify_token(token, "TC1", "test", KEY, now=1010)
    expires, token_id, _, signature = token.split(".")
    other = staff_binding("sub-owner", "session-2")
    with pytest.raises(InvalidStreamToken):  # moved to another session: the signature breaks
        verify_token(f"{expires}.{token_id}.{other}.{signature}", "TC1", "test", KEY, now=1010)


def test_a_test_call_token_without_a_binding_and_a_bound_token_elsewhere_are_refused():
    from pitstop.stream_token import staff_binding

    with pytest.raises(InvalidStreamToken):
        verify_token(issue_token("TC1", "test", KEY, now=1000), "TC1", "test", KEY, now=1010)
    bound = issue_token("CA1", "inbound", KEY, now=1000, bound_to=staff_binding("s", "x"))
    with pytest.raises(InvalidStreamToken):
        verify_token(bound, "CA1", "inbound", KEY, now=1010)
