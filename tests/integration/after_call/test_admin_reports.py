"""The console's side of issue 16 over real HTTP (the admin Lambda behind the local JWT check):
the price table (read, owners change it, versioned), the cost report, a call's recording link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from pitstop.after_call import AfterCall
from pitstop.models import CallDirection, CallOutcome, CallRecord, CallStatus
from tests.integration.admin.conftest import ADVISOR
from tests.integration.after_call.conftest import NOW


def _finished(crm, call_sid: str, **fields) -> CallRecord:
    record = CallRecord(
        call_sid=call_sid,
        direction=CallDirection.INBOUND,
        customer_number="+15551230001",
        shop_id=crm.settings.shop_id,
        status=CallStatus.RINGING,
        started_at=NOW,
        outcome=CallOutcome.BOOKED,
        **fields,
    )
    crm.calls.start(record, NOW)
    crm.calls.update_status(call_sid, CallStatus.COMPLETED, {"duration_seconds": 120})
    return record


def test_owners_change_the_prices_and_calls_priced_afterwards_use_them(api, shop):
    status, body = api("GET", "/admin/prices", token=ADVISOR)
    assert status == 200 and body["version"] == 0
    prices = body["prices"]
    assert prices["twilio_inbound_per_minute"] == 0.0085
    changed = {**prices, "twilio_inbound_per_minute": 0.02}
    assert api("PUT", "/admin/prices", {"version": 0, "prices": changed}, token=ADVISOR)[0] == 403
    status, body = api("PUT", "/admin/prices", {"version": 0, "prices": changed})
    assert status == 200 and body["version"] == 1
    assert body["saved"]["changes"]["twilio_inbound_per_minute"] == {
        "before": 0.0085,
        "after": 0.02,
    }
    assert api("PUT", "/admin/prices", {"version": 0, "prices": changed})[0] == 409
    negative = {**prices, "sms_per_segment": -1}
    assert api("PUT", "/admin/prices", {"version": 1, "prices": negative})[0] == 422
    mistyped = {**prices, "sms_per_segmnt": 0.01}
    status, body = api("PUT", "/admin/prices", {"version": 1, "prices": mistyped})
    assert status == 422 and "sms_per_segmnt" in body["message"]
    assert [v["version"] for v in api("GET", "/admin/prices/versions")[1]["versions"]] == [1, 0]

    _finished(shop, "CAprice1")
    image = shop.table.get_item(Key={"pk": "CALL#CAprice1", "sk": "RECORD"})["Item"]
    assert AfterCall(shop).process(image, NOW)
    cost = shop.calls.get("CAprice1").cost
    assert cost.prices_version == 1 and cost.twilio_usd == pytest.approx(2 * 0.02)


def test_the_cost_report_by_day(api, shop):
    _finished(shop, "CAreport1")
    image = shop.table.get_item(Key={"pk": "CALL#CAreport1", "sk": "RECORD"})["Item"]
    AfterCall(shop).process(image, NOW)
    day = NOW.date().isoformat()
    status, body = api("GET", f"/admin/reports/costs?since={day}&until={day}", token=ADVISOR)
    assert status == 200
    (only,) = body["days"]
    assert only["calls"] == 1 and only["bookings"] == 1
    assert only["cost_usd"] == shop.calls.get("CAreport1").cost.total_usd
    assert api("GET", "/admin/reports/costs?since=2026-01-01&until=2026-12-01")[0] == 422
    assert api("GET", f"/admin/reports/costs?since={day}&until=2026-01-01")[0] == 422


def test_a_call_without_a_recording_has_no_link(api, shop, monkeypatch):
    monkeypatch.delenv("PITSTOP_RECORDINGS_BUCKET", raising=False)
    _finished(shop, "CAnorec")
    status, body = api("GET", "/admin/calls/CAnorec/recording")
    assert status == 404 and body["error"] == "no_recording"
    assert api("GET", "/admin/calls/CAunknown/recording")[0] == 404


def test_the_bridge_recording_is_a_short_lived_presigned_url(api, shop, monkeypatch):
    monkeypatch.setenv("PITSTOP_RECORDINGS_BUCKET", "pitstop-recordings-test")
    _finished(shop, "CArec1", recording_key="calls/CArec1/MZ1.wav")
    status, body = api("GET", "/admin/calls/CArec1/recording", token=ADVISOR)
    assert status == 200 and body["source"] == "bridge"
    url = urlsplit(body["url"])
    assert "pitstop-recordings-test" in url.netloc + url.path
    assert url.path.endswith("/calls/CArec1/MZ1.wav")
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query


def test_locally_the_console_serves_the_recordings_folder(api, shop, monkeypatch, tmp_path):
    monkeypatch.delenv("PITSTOP_RECORDINGS_BUCKET", raising=False)
    monkeypatch.setenv("PITSTOP_RECORDINGS_DIR", str(tmp_path))
    _finished(shop, "CArec2", recording_key="calls/CArec2/MZ2.wav")
    assert (
        api("GET", "/admin/calls/CArec2/recording")[1]["url"] == "/recordings/calls/CArec2/MZ2.wav"
    )


def test_a_twilio_recording_links_to_its_media(api, shop, monkeypatch):
    monkeypatch.delenv("PITSTOP_RECORDINGS_BUCKET", raising=False)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    _finished(shop, "CArec3", twilio_recording_url=url, twilio_recording_sid="RE1")
    status, body = api("GET", "/admin/calls/CArec3/recording")
    assert status == 200 and body == {
        "call_sid": "CArec3",
        "url": url + ".mp3",
        "source": "twilio",
    }
