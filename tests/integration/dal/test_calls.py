"""Call records against moto's DynamoDB: status only moves forward, starts are idempotent."""

from datetime import UTC, datetime

from pitstop.models import CallDirection, CallRecord, CallStatus, TranscriptTurn

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def _record(**kw):
    return CallRecord(
        call_sid="CA1", direction=CallDirection.INBOUND, customer_number="+15551230001", **kw
    )


def test_status_callbacks_out_of_order_keep_the_final_status(crm):
    crm.calls.start(_record(), NOW)
    assert crm.calls.update_status("CA1", CallStatus.COMPLETED, {"duration_seconds": 42})
    assert not crm.calls.update_status("CA1", CallStatus.RINGING, {})
    record = crm.calls.get("CA1")
    assert (record.status, record.duration_seconds) == ("completed", 42)


def test_repeated_start_keeps_the_first_record(crm):
    crm.calls.start(_record(customer_id="cus_1"), NOW)
    crm.calls.start(_record(customer_id=None), NOW)
    assert crm.calls.get("CA1").customer_id == "cus_1"


def test_transcript_in_order(crm):
    crm.calls.start(_record(), NOW)
    for seq, text in enumerate(["hello", "hi", "bye"]):
        crm.calls.add_turn("CA1", seq, TranscriptTurn(role="caller", text=text, at=NOW))
    assert [t.text for t in crm.calls.transcript("CA1")] == ["hello", "hi", "bye"]
