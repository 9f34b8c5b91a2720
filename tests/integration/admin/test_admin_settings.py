"""Agent settings from the console: owners only, validated by the agent's model, versioned,
reversible, and what the next call reads."""

from __future__ import annotations

from tests.integration.admin.conftest import ADVISOR


def test_an_advisor_may_read_but_not_change_settings(api, shop):
    status, body = api("GET", "/admin/settings", token=ADVISOR)
    assert status == 200 and body["version"] == 0 and body["settings"]["persona_name"] == "Robin"
    change = {"version": 0, "settings": {"persona_name": "Sam"}}
    status, body = api("PUT", "/admin/settings", change, token=ADVISOR)
    assert status == 403 and body["error"] == "forbidden"
    rollback = api("POST", "/admin/settings/versions/0/rollback", {"version": 0}, token=ADVISOR)
    assert rollback[0] == 403
    assert shop.shops.settings().persona_name == "Robin"


def test_an_invalid_setting_is_refused_with_the_field_and_the_reason(api, shop):
    for bad, field, words in [
        ({"voice": "darth"}, "voice", "unknown voice"),
        ({"max_call_seconds": 5}, "max_call_seconds", "greater than or equal to 60"),
        ({"extra_instructions": "Greet {first_name}"}, "extra_instructions", "first_name"),
        ({"agent_enabled": "perhaps"}, "agent_enabled", "boolean"),
        ({"persona": "Sam"}, "persona", "Extra inputs"),
    ]:
        status, body = api("PUT", "/admin/settings", {"version": 0, "settings": bad})
        assert status == 422, bad
        assert body["error"] == "invalid_settings"
        assert body["errors"][0]["loc"] == [field]
        assert words in body["message"], body["message"]
    assert api("GET", "/admin/settings/versions")[1]["versions"] == []


def test_saves_are_versioned_and_a_rollback_restores_an_earlier_version(api, shop):
    status, body = api(
        "PUT", "/admin/settings", {"version": 0, "settings": {"persona_name": "Sam"}}
    )
    assert status == 200 and body["version"] == 1
    assert shop.shops.catalog().settings.persona_name == "Sam"  # what the next call reads
    change = {"version": 1, "settings": {"voice": "cedar", "extra_instructions": "Hi {shop_name}"}}
    assert api("PUT", "/admin/settings", change)[0] == 200

    versions = api("GET", "/admin/settings/versions", token=ADVISOR)[1]["versions"]
    assert [v["version"] for v in versions] == [2, 1, 0]
    assert versions[0]["by"] == "olive@shop.test"
    assert versions[0]["changes"]["voice"] == {"before": "marin", "after": "cedar"}
    assert set(versions[0]["changes"]) == {"voice", "extra_instructions"}
    assert versions[1]["changes"] == {"persona_name": {"before": "Robin", "after": "Sam"}}

    status, body = api("POST", "/admin/settings/versions/0/rollback", {"version": 2})
    assert status == 200 and body["version"] == 3 and body["saved"]["rollback_of"] == 0
    live = shop.shops.catalog().settings
    assert (live.persona_name, live.voice, live.extra_instructions) == ("Robin", "marin", "")
    # Fields nobody set stay unset, so the deployment's model default keeps applying.
    assert "model" not in live.model_fields_set
    assert api("POST", "/admin/settings/versions/9/rollback", {"version": 3})[0] == 404


def test_a_save_based_on_an_old_version_is_refused(api, shop):
    assert (
        api("PUT", "/admin/settings", {"version": 0, "settings": {"persona_name": "Sam"}})[0] == 200
    )
    status, body = api("PUT", "/admin/settings", {"version": 0, "settings": {"persona_name": "Jo"}})
    assert status == 409 and body["error"] == "stale" and body["version"] == 1
    assert shop.shops.settings().persona_name == "Sam"


def test_a_setting_whose_none_means_unset_can_be_cleared_again(api, shop):
    advisor = {"advisor_number": "+15005550013", "recording_notice": "Calls are recorded."}
    status, body = api("PUT", "/admin/settings", {"version": 0, "settings": advisor})
    assert status == 200 and shop.shops.settings().advisor_number == "+15005550013"
    cleared = {"advisor_number": None, "recording_notice": None}
    status, body = api("PUT", "/admin/settings", {"version": 1, "settings": cleared})
    assert status == 200, body
    assert body["settings"]["advisor_number"] is None
    assert body["saved"]["changes"]["advisor_number"] == {"before": "+15005550013", "after": None}
    live = shop.shops.settings()  # what the next call reads: nobody is texted any more
    assert (live.advisor_number, live.recording_notice) == (None, None)
    assert api("GET", "/admin/settings")[1]["settings"]["advisor_number"] is None
    assert api("POST", "/admin/settings/versions/1/rollback", {"version": 2})[0] == 200
    assert shop.shops.settings().advisor_number == "+15005550013"
    assert api("POST", "/admin/settings/versions/2/rollback", {"version": 3})[0] == 200
    assert shop.shops.settings().advisor_number is None  # the cleared version, cleared again
