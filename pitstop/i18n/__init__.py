"""Everything Pitstop says and writes, in the shop's language (`AgentSettings.language`).

One pack a language (`packs/<code>.toml`, validated by `schema.Pack`): the agent's
instructions, the TwiML `<Say>` texts with their language and voice, the tools' phrasings and
the SMS templates. `text(lang, "sms.confirmation", **values)` fills one in; dates, times,
prices and phone numbers are formatted by `pitstop.i18n.formats`. A language without a pack
falls back to English, so a stored code that is not (or no longer) supported never breaks a
call; `AgentSettings` refuses such a code when it is saved.

Adding a language: copy `packs/en.toml` to `packs/<code>.toml` (an ISO 639-1 code, the one
OpenAI's transcription takes), translate it, and run `tests/unit/i18n` (key sets, variables,
goldens: `--update-goldens` writes the new language's golden files to review).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from pitstop.i18n.schema import Pack, variable_problems

PACKS = Path(__file__).parent / "packs"
DEFAULT_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = tuple(sorted(p.stem for p in PACKS.glob("*.toml")))


class PackError(ValueError):
    """A pack that does not fit the schema or English's variables."""


def supported(lang: str | None) -> str:
    """`lang` if it has a pack, else English."""
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@cache
def pack(lang: str) -> Pack:
    """The validated pack of `lang` (English for a language without one), read once."""
    code = supported(lang)
    loaded = Pack.model_validate(tomllib.loads((PACKS / f"{code}.toml").read_text("utf-8")))
    if code != DEFAULT_LANGUAGE:
        problems = variable_problems(loaded, pack(DEFAULT_LANGUAGE))
        if problems:
            raise PackError(f"{code}.toml: " + "; ".join(problems))
    return loaded


def text(lang: str, key: str, **values: object) -> str:
    """The text `key` ("section.name") in `lang`, its `{variables}` filled from `values`.

    Values the template does not use are ignored, so callers pass what they have (a
    Japanese text may use `family_name` where the English one has none)."""
    section, name = key.split(".", 1)
    template: str = getattr(getattr(pack(lang), section), name)
    return template.format_map(values)


def language_name(lang: str) -> str:
    """The language's English name ("Japanese"), for logs and the console."""
    return pack(lang).meta.english_name


def ai_words(lang: str) -> re.Pattern[str]:
    """Words that tell a caller they talk to an AI, in `lang` and in English."""
    words = {pack(lang).agent.ai_words, pack(DEFAULT_LANGUAGE).agent.ai_words}
    return re.compile("|".join(sorted(words)), re.IGNORECASE)
