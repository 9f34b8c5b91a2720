"""TwiML documents that Pitstop answers Twilio with, all built by twilio's `VoiceResponse`.

One module for every TwiML shape, because three processes produce them: the webhook (answers),
the bridge (a live handoff through the REST API) and the call simulator's tests (which parse
them). Building with the official classes means escaping and attribute names are Twilio's own.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import Connect, Stream, VoiceResponse

DEFAULT_HANDOFF_MESSAGE = "Connecting you to a member of our team."
# How long the shop's line rings before Twilio gives up on a transfer (seconds).
DIAL_TIMEOUT_SECONDS = 30


def stream_twiml(
    bridge_url: str, parameters: Mapping[str, object], notice: str | None = None
) -> str:
    """`<Connect><Stream>` to the media bridge, with the call's context as `<Parameter>`s.

    `notice` (e.g. "This call may be recorded") is spoken before the stream opens. Every
    parameter value is sent as a string; None becomes "" so the bridge always sees each name.
    """
    response = VoiceResponse()
    if notice:
        response.say(notice)
    stream = Stream(url=bridge_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value="" if value is None else str(value))
    connect = Connect()
    connect.append(stream)
    response.append(connect)
    return str(response)


def fallback_twiml(shop_name: str, shop_phone: str) -> str:
    """Apologise and put the caller through to the shop's human line.

    What a caller hears when the agent cannot take the call (bridge down, agent switched off,
    or anything failing while answering): never an error tone, always a person.
    """
    response = VoiceResponse()
    response.say(
        f"Thanks for calling {shop_name}. Sorry, our automated assistant can't take your call "
        "right now. Please hold while we connect you to a member of our team."
    )
    response.dial(shop_phone, timeout=DIAL_TIMEOUT_SECONDS)
    return str(response)


def handoff_twiml(shop_phone: str, message: str = DEFAULT_HANDOFF_MESSAGE) -> str:
    """Tell the caller what happens, then dial the shop (the bridge's live handoff)."""
    response = VoiceResponse()
    if message:
        response.say(message)
    response.dial(shop_phone, timeout=DIAL_TIMEOUT_SECONDS)
    return str(response)


def voicemail_twiml(text: str) -> str:
    """Say `text` and hang up: a voicemail left on a machine, or a short polite goodbye."""
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return str(response)


def empty_twiml() -> str:
    """An empty `<Response/>`: the acknowledgement for callbacks that need no instructions."""
    return str(VoiceResponse())
