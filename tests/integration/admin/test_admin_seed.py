"""`pitstop seed` over a shop the console has already saved: the console's versions survive."""

from __future__ import annotations

from datetime import datetime

from pitstop.seed import seed
from tests.integration.admin.conftest import DAY, TZ


def test_reseeding_keeps_the_console_saving_against_the_version_it_reads(api, settings):
    today = datetime.now(TZ).date()
    seed(settings, today)
    assert (
        api("PUT", "/admin/settings", {"version": 0, "settings": {"persona_name": "Sam"}})[0] == 200
    )
    holiday = {"version": 0, "shop": {"holidays": [DAY.isoformat()]}}
    assert api("PUT", "/admin/shop", holiday)[0] == 200

    seed(settings, today)
    seed(settings, today)  # a second run changes nothing more

    status, body = api("GET", "/admin/settings")
    assert (status, body["version"], body["settings"]["persona_name"]) == (200, 2, "Robin")
    versions = api("GET", "/admin/settings/versions")[1]["versions"]
    assert [(v["version"], v["by"]) for v in versions][:2] == [
        (2, "pitstop seed"),
        (1, "olive@shop.test"),
    ]
    change = {"version": 2, "settings": {"persona_name": "Sam"}}
    status, body = api("PUT", "/admin/settings", change)
    assert (status, body["version"]) == (200, 3), body

    shop_now = api("GET", "/admin/shop")[1]
    assert shop_now["version"] == 2 and DAY.isoformat() not in shop_now["shop"]["holidays"]
    status, body = api("PUT", "/admin/shop", {**holiday, "version": 2})
    assert (status, body["version"]) == (200, 3), body
