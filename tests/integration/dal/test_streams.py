"""The stream token is single-use and dies with its call; the context is what the webhook wrote."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from pitstop.models import CallDirection, CallRecord, CallStatus

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _open(crm, **fields):
    record = {
        "call_sid": "CA1",
        "direction": CallDirection.REMINDER,
        "customer_number": "+15551230001",
        "customer_id": "cus_1",
        "appointment_id": "apt_1",
        "shop_id": "demo",
        "stream_token_id": "tok1",
        "stream_token_expires": 1_000,
    }
    return crm.calls.open_stream(CallRecord(**{**record, **fields}), NOW)


def test_a_token_opens_one_stream_once(crm):
    _open(crm)
    context = crm.calls.claim_stream("CA1", "tok1", NOW)
    assert (context.customer_id, context.appointment_id, context.shop_id) == (
        "cus_1",
        "apt_1",
        "demo",
    )
    assert crm.calls.claim_stream("CA1", "tok1", NOW) is None  # replayed


def test_two_concurrent_streams_with_one_token_get_one_claim(crm):
    _open(crm)
    barrier, results = threading.Barrier(8), []

    def claim():
        barrier.wait(timeout=10)
        results.append(crm.calls.claim_stream("CA1", "tok1", NOW))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r is not None for r in results) == 1


def test_another_token_or_an_unknown_call_is_refused(crm):
    _open(crm)
    assert crm.calls.claim_stream("CA1", "forged", NOW) is None
    assert crm.calls.claim_stream("CA_unknown", "tok1", NOW) is None


def test_no_stream_opens_after_the_call_ended(crm):
    _open(crm)
    crm.calls.update_status("CA1", CallStatus.COMPLETED, {"ended_at": NOW.isoformat()})
    assert crm.calls.claim_stream("CA1", "tok1", NOW) is None


def test_opening_again_keeps_the_first_grant_and_context(crm):
    first = _open(crm)
    again = _open(crm, stream_token_id="tok2", customer_id=None)
    assert again.stream_token_id == first.stream_token_id == "tok1"
    assert again.customer_id == "cus_1"


def test_opening_a_record_the_reminders_lambda_made_adds_the_grant(crm):
    crm.calls.start(
        CallRecord(
            call_sid="CA1",
            direction=CallDirection.REMINDER,
            customer_number="+15551230001",
            customer_id="cus_1",
            appointment_id="apt_1",
            status=CallStatus.QUEUED,
        ),
        NOW,
    )
    opened = _open(crm, status=CallStatus.IN_PROGRESS)
    assert (opened.stream_token_id, opened.status, opened.shop_id) == ("tok1", "queued", "demo")
    assert crm.calls.context("CA1").appointment_id == "apt_1"


def test_stream_progress_follows_the_claim_the_last_write_and_a_second_grant(crm):
    assert crm.calls.stream_progress("CA1") == (None, False)  # no call at all
    _open(crm)
    assert crm.calls.stream_progress("CA1") == (None, False)
    crm.calls.claim_stream("CA1", "tok1", NOW)
    assert crm.calls.stream_progress("CA1") == (NOW, False)
    assert crm.calls.finish_stream("CA1", "tok1", {"outcome": "completed"})
    assert crm.calls.stream_progress("CA1").finished
    crm.calls.regrant_stream("CA1", "tok2", 2_000, "handoff_unanswered")
    assert crm.calls.stream_progress("CA1") == (None, False)  # the new stream's turn
