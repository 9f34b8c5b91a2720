"""pitstop.twiml: each document parsed as XML and checked verb by verb."""

import xml.etree.ElementTree as ET

from pitstop import twiml


def test_stream_twiml_connects_the_bridge_with_every_parameter_as_a_string():
    root = ET.fromstring(
        twiml.stream_twiml(
            "wss://bridge.example/media-stream?x=1&y=2",
            {"direction": "inbound", "customer_id": None, "token": "123.abc", "n": 5},
        )
    )
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Connect"]
    stream = root.find("./Connect/Stream")
    assert stream.get("url") == "wss://bridge.example/media-stream?x=1&y=2"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert params == {"direction": "inbound", "customer_id": "", "token": "123.abc", "n": "5"}


def test_stream_twiml_speaks_the_notice_before_connecting():
    root = ET.fromstring(twiml.stream_twiml("wss://b/m", {}, notice="This call may be recorded."))
    assert [child.tag for child in root] == ["Say", "Connect"]
    assert root.find("Say").text == "This call may be recorded."


def test_fallback_apologises_and_dials_the_shop():
    root = ET.fromstring(twiml.fallback_twiml("Riverside & Sons", "+15551230000"))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert "Riverside & Sons" in root.find("Say").text
    assert "sorry" in root.find("Say").text.lower()
    assert root.find("Dial").text == "+15551230000"


def test_handoff_says_the_message_then_dials():
    root = ET.fromstring(twiml.handoff_twiml("+15551230000"))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Say").text == twiml.DEFAULT_HANDOFF_MESSAGE
    assert root.find("Dial").text == "+15551230000"
    custom = ET.fromstring(twiml.handoff_twiml("+15551230000", message="One moment."))
    assert custom.find("Say").text == "One moment."


def test_voicemail_says_and_hangs_up():
    root = ET.fromstring(twiml.voicemail_twiml("Your car is ready."))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root.find("Say").text == "Your car is ready."


def test_empty_twiml_is_an_empty_response():
    root = ET.fromstring(twiml.empty_twiml())
    assert root.tag == "Response" and len(root) == 0
