"""POST /voice/fallback: Twilio's fallback URL apologises and dials the shop."""

import xml.etree.ElementTree as ET

from tests.integration.webhook.shop import SHOP_NAME, SHOP_PHONE

CALL = {
    "CallSid": "CA00000000000000000000000000fb0001",
    "From": "+15551234567",
    "To": "+15005550006",
    "ErrorCode": "11200",
    "ErrorUrl": "https://hooks.pitstop.test/voice",
}


def test_fallback_dials_the_shop(seeded, twilio):
    result = twilio.post("/voice/fallback", CALL)
    assert result["statusCode"] == 200 and result["headers"]["Content-Type"] == "text/xml"
    root = ET.fromstring(result["body"])
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == SHOP_PHONE
    assert SHOP_NAME in root.find("Say").text


def test_fallback_is_signed_too(seeded, twilio):
    assert twilio.post("/voice/fallback", CALL, signature=None)["statusCode"] == 403


def test_fallback_without_a_shop_still_answers_twiml(webhook_settings, twilio):
    result = twilio.post("/voice/fallback", CALL)
    assert result["statusCode"] == 200
    assert ET.fromstring(result["body"]).find("Say") is not None


def test_a_fallback_answer_is_counted_for_the_fallback_rate_alarm(seeded, twilio, capsys):
    twilio.post("/voice/fallback", CALL)
    assert '"Fallbacks":[1.0]' in capsys.readouterr().out
    twilio.post("/voice", {**CALL, "CallSid": "CA00000000000000000000000000fb0002"})
    assert '"Fallbacks"' not in capsys.readouterr().out  # a streamed answer is not a fallback
