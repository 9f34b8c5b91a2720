from pitstop.telephony import OutboxTelephony, read_outbox


def test_outbox_records_every_request(tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    phone = OutboxTelephony(outbox, "+15005550006")
    sid = phone.send_sms("+15551230001", "See you Tuesday")
    phone.redirect_call("CA1", "<Response><Dial>+15550000000</Dial></Response>")
    entries = read_outbox(outbox)
    assert [e["kind"] for e in entries] == ["sms", "redirect"]
    assert entries[0]["sid"] == sid and entries[0]["body"] == "See you Tuesday"
    assert read_outbox(tmp_path / "missing.jsonl") == []
