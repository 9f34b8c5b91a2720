"""The recording notice is spoken exactly when the shop records calls (issue 16)."""

import xml.etree.ElementTree as ET

import pytest

from pitstop.models import DEFAULT_RECORDING_NOTICE, AgentSettings
from tests.integration.webhook.shop import seed_shop
from tests.integration.webhook.test_voice import CALL


def _spoken(result) -> list[str]:
    assert result["statusCode"] == 200
    root = ET.fromstring(result["body"])
    assert root.find("./Connect/Stream") is not None, result["body"]
    return [say.text or "" for say in root.findall("Say")]


@pytest.mark.parametrize(
    ("agent", "spoken"),
    [
        (AgentSettings(recording_enabled=True), [DEFAULT_RECORDING_NOTICE]),
        (AgentSettings(recording_enabled=True, recording_notice="We record."), ["We record."]),
        (AgentSettings(recording_enabled=False, recording_notice="We record."), []),
        (AgentSettings(), []),
    ],
    ids=["on-default-text", "on-shop-text", "off-with-leftover-text", "off-by-default"],
)
def test_notice_follows_the_recording_switch(crm, webhook_settings, twilio, agent, spoken):
    seed_shop(crm, agent)
    assert _spoken(twilio.post("/voice", CALL)) == spoken
