"""The offline engine speaks and hears English only; a shop in another language is told so.

PocketSphinx's wheel ships an en-US model and eSpeak NG reads the engine's English replies, so
for a Japanese or Spanish shop the offline stack still carries everything Pitstop itself writes
in that language (instructions, transcription language, TwiML, SMS) while the voice on the line
stays English. Said plainly at call start (the engine's log) and by `pitstop dev`, so nobody
takes the English voice for a broken translation.
"""

from __future__ import annotations

from pitstop.i18n import DEFAULT_LANGUAGE, language_name, supported


def language_notice(lang: str | None) -> str | None:
    """What to tell a developer whose shop is not English (None for an English shop)."""
    if not lang or supported(lang) == DEFAULT_LANGUAGE:
        return None
    name = language_name(lang)
    return (
        f"the shop's language is {name} ({lang}), which the offline voice cannot speak: "
        f"it answers in English, while the instructions, the transcription language, TwiML and "
        f"texts are in {name}. Set OPENAI_API_KEY to hear the agent speak {name}."
    )


def session_language(config: dict) -> str | None:
    """The input transcription language a `session.update` configured (None: not set)."""
    audio = config.get("audio") or {}
    transcription = (audio.get("input") or {}).get("transcription") or {}
    return transcription.get("language")
