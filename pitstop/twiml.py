"""TwiML documents that Pitstop answers Twilio with, all built by twilio's `VoiceResponse`.

One module for every TwiML shape, because three processes produce them: the webhook (answers),
the bridge (a live handoff through the REST API) and the call simulator's tests (which parse
them). Building with the official classes means escaping and attribute names are Twilio's own.
Every `<Say>` speaks the shop's language (`lang`) with a voice that speaks it, both from the
language pack; English keeps Twilio's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import Connect, Dial, Stream, VoiceResponse

from pitstop.i18n import DEFAULT_LANGUAGE, pack, text

DEFAULT_HANDOFF_MESSAGE = text(DEFAULT_LANGUAGE, "calls.handoff")
# How long the shop's line rings before Twilio gives up on a transfer (seconds).
DIAL_TIMEOUT_SECONDS = 30


def say(response: VoiceResponse, words: str, lang: str = DEFAULT_LANGUAGE) -> None:
    """`<Say>` `words` in `lang`: its `language` and `voice` (none for Twilio's defaults)."""
    meta = pack(lang).meta
    voice = {"language": meta.say_language, "voice": meta.say_voice}
    response.say(words, **{name: value for name, value in voice.items() if value})


def stream_twiml(
    bridge_url: str,
    parameters: Mapping[str, object],
    notice: str | None = None,
    action: str | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """`<Connect action><Stream>` to the media bridge, with the call's context as `<Parameter>`s.

    `notice` (e.g. "This call may be recorded") is spoken before the stream opens. Every
    parameter value is sent as a string; None becomes "" so the bridge always sees each name.
    `action`: where Twilio asks what next when the stream ends with the call still up (the
    bridge crashed or refused the stream), so such a call is rescued instead of hung up.
    """
    response = VoiceResponse()
    if notice:
        say(response, notice, lang)
    stream = Stream(url=bridge_url)
    for name, value in parameters.items():
        stream.parameter(name=name, value="" if value is None else str(value))
    connect = Connect(action=action) if action else Connect()
    connect.append(stream)
    response.append(connect)
    return str(response)


def fallback_twiml(shop_name: str, shop_phone: str, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Apologise and put the caller through to the shop's human line.

    What a caller hears when the agent cannot take the call (bridge down, agent switched off,
    or anything failing while answering): never an error tone, always a person.
    """
    response = VoiceResponse()
    say(response, text(lang, "calls.fallback", shop_name=shop_name), lang)
    response.dial(shop_phone, timeout=DIAL_TIMEOUT_SECONDS)
    return str(response)


def handoff_twiml(
    shop_phone: str, message: str | None = None, *, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Tell the caller what happens (by default the pack's words), then dial the shop (the
    bridge's live handoff); an empty `message` says nothing."""
    response = VoiceResponse()
    words = text(lang, "calls.handoff") if message is None else message
    if words:
        say(response, words, lang)
    response.dial(shop_phone, timeout=DIAL_TIMEOUT_SECONDS)
    return str(response)


def dial_twiml(
    number: str,
    action: str,
    whisper_url: str,
    ring_seconds: int,
    message: str | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
) -> str:
    """Ring one number; on pick-up staff hear the whisper; whatever happens, Twilio then asks
    `action` what next (so a busy or unanswered line never ends the call)."""
    response = VoiceResponse()
    if message:
        say(response, message, lang)
    dial = Dial(action=action, timeout=ring_seconds)
    dial.number(number, url=whisper_url)
    response.append(dial)
    return str(response)


def record_message_twiml(
    prompt: str, action: str, max_seconds: int = 120, *, lang: str = DEFAULT_LANGUAGE
) -> str:
    """The message taker that needs no bridge: a prompt, a beep, a recording posted to
    `action` (which stores it as a message for the shop)."""
    response = VoiceResponse()
    say(response, prompt, lang)
    response.record(action=action, max_length=max_seconds, play_beep=True, timeout=5)
    return str(response)


def say_twiml(words: str, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Say `words`, then carry on (a whisper: the `<Dial>` connects the call once it is said)."""
    response = VoiceResponse()
    say(response, words, lang)
    return str(response)


def voicemail_twiml(words: str, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Say `words` and hang up: a voicemail left on a machine, or a short polite goodbye."""
    response = VoiceResponse()
    say(response, words, lang)
    response.hangup()
    return str(response)


def empty_twiml() -> str:
    """An empty `<Response/>`: the acknowledgement for callbacks that need no instructions."""
    return str(VoiceResponse())
