"""The shop's hours and holidays from the console: owners only, validated, versioned, and what
the handoff then sees."""

from __future__ import annotations

from datetime import datetime, time

from pitstop.handoff import is_open
from tests.integration.admin.conftest import ADVISOR, DAY, TZ


def _open_hours(api) -> dict:
    return api("GET", "/admin/shop")[1]["shop"]["opening_hours"]


def test_an_advisor_may_read_the_hours_but_not_change_them(api, shop):
    status, body = api("GET", "/admin/shop", token=ADVISOR)
    assert status == 200 and body["version"] == 0
    assert list(body["shop"]["opening_hours"]) == body["weekdays"]
    change = {"version": 0, "shop": {"holidays": [DAY.isoformat()]}}
    status, body = api("PUT", "/admin/shop", change, token=ADVISOR)
    assert status == 403 and body["error"] == "forbidden"
    assert DAY not in shop.shops.catalog().shop.holidays


def test_invalid_hours_are_refused_naming_the_weekday(api, shop):
    hours = _open_hours(api)
    for bad, where, words in [
        ({"mon": {"opens": "17:00", "closes": "08:00"}}, ["opening_hours", "mon"], "closes"),
        ({"mon": {"opens": "25:00", "closes": "26:00"}}, ["opening_hours", "mon", "opens"], "time"),
        ({"funday": None}, ["opening_hours"], "unknown weekday"),
    ]:
        status, body = api(
            "PUT", "/admin/shop", {"version": 0, "shop": {"opening_hours": {**hours, **bad}}}
        )
        assert status == 422, bad
        assert body["error"] == "invalid_settings"
        assert body["errors"][0]["loc"][: len(where)] == where, body["errors"]
        assert words in body["message"], body["message"]
    status, body = api("PUT", "/admin/shop", {"version": 0, "shop": {"timezone": "UTC"}})
    assert status == 422 and body["errors"][0]["loc"] == ["timezone"]
    assert api("GET", "/admin/shop/versions")[1]["versions"] == []


def test_a_saved_holiday_closes_the_shop_for_the_handoff(api, shop):
    noon = datetime.combine(DAY, time(12), tzinfo=TZ)
    assert is_open(shop.shops.catalog().shop, noon)
    status, body = api(
        "PUT", "/admin/shop", {"version": 0, "shop": {"holidays": [DAY.isoformat()]}}
    )
    assert status == 200 and body["version"] == 1
    assert not is_open(shop.shops.catalog().shop, noon)  # what the next call's handoff reads
    assert body["saved"]["changes"]["holidays"]["after"] == [DAY.isoformat()]


def test_hours_changes_are_versioned_and_roll_back(api, shop):
    original = shop.shops.catalog().shop
    hours = _open_hours(api)
    closed_monday = {**hours, "mon": None}
    assert (
        api("PUT", "/admin/shop", {"version": 0, "shop": {"opening_hours": closed_monday}})[0]
        == 200
    )
    live = shop.shops.catalog().shop
    assert live.opening_hours["mon"] is None
    assert (live.name, live.phone, live.timezone) == (
        original.name,
        original.phone,
        original.timezone,
    )
    assert api("PUT", "/admin/shop", {"version": 0, "shop": {"holidays": []}})[0] == 409

    versions = api("GET", "/admin/shop/versions", token=ADVISOR)[1]["versions"]
    assert [v["version"] for v in versions] == [1, 0] and versions[0]["by"] == "olive@shop.test"
    assert set(versions[0]["changes"]) == {"opening_hours"}

    status, body = api("POST", "/admin/shop/versions/0/rollback", {"version": 1})
    assert status == 200 and body["version"] == 2
    assert shop.shops.catalog().shop.opening_hours == original.opening_hours
    assert api("POST", "/admin/shop/versions/0/rollback", {"version": 2}, token=ADVISOR)[0] == 403
