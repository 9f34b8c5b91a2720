"""Side effects exactly once per call and arguments: a retried tool call never acts twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pitstop.dal import keys
from pitstop.telephony import read_outbox

from .conftest import ALEX, MONDAY, at, table_items

WAIT_S = 10  # a bound on each wait below, never a pause


def _booking():
    return {"vehicle_id": "veh_alex", "service_type": "oil_change", "start": at(MONDAY, 9)}


def test_the_same_sms_request_twice_sends_one_text(tool, settings):
    apt = tool("book_appointment", _booking())["appointment"]["appointment_id"]
    first = tool("send_sms_confirmation", {"appointment_id": apt})
    second = tool("send_sms_confirmation", {"appointment_id": apt})
    assert first == second and first["sent"] is True
    assert len(read_outbox(settings.outbox_path)) == 1
    # another call asking the same is a new request: it does send
    tool(
        "send_sms_confirmation",
        {"appointment_id": apt},
        ALEX.model_copy(update={"call_sid": "CAb"}),
    )
    assert len(read_outbox(settings.outbox_path)) == 2


def test_a_slow_booking_retried_books_once(tool, shop, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real_book = shop.appointments.book

    def slow_book(*args, **kwargs):
        entered.set()
        assert release.wait(WAIT_S)
        return real_book(*args, **kwargs)

    monkeypatch.setattr(shop.appointments, "book", slow_book)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(tool, "book_appointment", _booking())
        assert entered.wait(WAIT_S)
        during = tool("book_appointment", _booking())  # the bridge gave up and the model retried
        release.set()
        done = first.result(timeout=WAIT_S)
    after = tool("book_appointment", _booking())

    assert during["ok"] is False and during["error"] == "in_progress", during
    assert done["ok"], done
    assert after == done
    appointments = [i for i in table_items(shop) if i.get("entity") == "Appointment"]
    assert [a["appointment_id"] for a in appointments] == [done["appointment"]["appointment_id"]]
    (record,) = [
        i for i in table_items(shop) if i[keys.PK] == keys.idempotency(shop.settings.shop_id)
    ]
    assert record["status"] == "COMPLETED" and record[keys.TTL] > 0  # expires by the table's TTL


def test_a_refusal_is_not_remembered(tool, shop):
    """A refused request did nothing, so asking again once it can succeed does act."""
    args = {"appointment_id": "apt_later", "reason": "x"}
    assert tool("cancel_appointment", args)["error"] == "not_found"
    records = [
        i for i in table_items(shop) if i[keys.PK] == keys.idempotency(shop.settings.shop_id)
    ]
    assert records == []
