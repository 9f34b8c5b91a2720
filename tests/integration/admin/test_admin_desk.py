"""The front desk's work from the console: messages waiting to be handled, customers by name."""

from __future__ import annotations

from pitstop.models import Customer, Message, MessageUrgency
from tests.integration.admin.conftest import ADVISOR, now


def _message(crm, about: str, **fields) -> str:
    stored = crm.messages.add(
        Message(shop_id=crm.settings.shop_id, about=about, created_at=now(), **fields)
    )
    return stored.message_id


def test_an_advisor_lists_new_messages_and_handles_one(api, shop):
    first = _message(shop, "brakes squeal", caller_name="Alex Morgan", call_sid="CA1")
    second = _message(shop, "quote for tyres", urgency=MessageUrgency.URGENT)

    status, body = api("GET", "/admin/messages?status=new", token=ADVISOR)
    assert status == 200
    assert [m["message_id"] for m in body["messages"]] == [first, second]
    assert body["messages"][0]["caller_name"] == "Alex Morgan"

    status, body = api("POST", f"/admin/messages/{first}/handle", {}, token=ADVISOR)
    assert status == 200 and body["message"]["status"] == "handled"
    assert body["message"]["handled_by"] == "adam@shop.test"

    assert [m["message_id"] for m in api("GET", "/admin/messages")[1]["messages"]] == [second]
    handled = api("GET", "/admin/messages?status=handled")[1]["messages"]
    assert [m["message_id"] for m in handled] == [first]
    assert shop.messages.get(first).handled_by == "adam@shop.test"


def test_handling_twice_keeps_the_first_close_and_an_unknown_message_is_404(api, shop):
    message_id = _message(shop, "call me back")
    api("POST", f"/admin/messages/{message_id}/handle", {}, token=ADVISOR)
    status, body = api("POST", f"/admin/messages/{message_id}/handle", {})  # the owner, later
    assert status == 200 and body["message"]["handled_by"] == "adam@shop.test"
    status, body = api("POST", "/admin/messages/msg_nobody/handle", {})
    assert status == 404 and body["error"] == "not_found"
    assert api("GET", "/admin/messages?status=lost")[0] == 422


def test_customer_search_by_name_forgives_case_accents_and_punctuation(api, shop):
    shop.customers.create(
        Customer(customer_id="cus_jose", name="José O'Neil", phone="+15551230009")
    )
    shop.customers.create(
        Customer(customer_id="cus_jose2", name="Jose ONeil", phone="+15551230008")
    )
    status, body = api("GET", "/admin/customers?name=jose%20o%20neil", token=ADVISOR)
    assert status == 200 and [c["customer"]["customer_id"] for c in body["customers"]] == [
        "cus_jose"
    ]
    status, body = api("GET", "/admin/customers?name=ALEX%20MORGAN")
    assert status == 200 and body["customers"][0]["vehicles"][0]["vehicle_id"] == "veh_alex"
    assert api("GET", "/admin/customers?name=Nobody%20Here")[1]["customers"] == []


def test_a_search_names_exactly_one_of_phone_and_name(api, shop):
    assert api("GET", "/admin/customers")[0] == 422
    status, body = api("GET", "/admin/customers?name=Alex%20Morgan&phone=5551230001")
    assert status == 422 and body["error"] == "invalid_search"
