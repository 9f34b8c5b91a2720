"""The language packs: one schema, the same keys in every language, the same variables."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from pitstop.i18n import LANGUAGES, PACKS, PackError, pack, supported, text
from pitstop.i18n.schema import Pack, variable_problems
from pitstop.sms_encoding import non_gsm7_characters

REQUIRED = ("en", "ja", "es")


def _raw(lang: str) -> dict:
    return tomllib.loads((PACKS / f"{lang}.toml").read_text("utf-8"))


def test_english_japanese_and_spanish_are_supported() -> None:
    assert set(REQUIRED) <= set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_pack_fits_the_schema_and_englishs_variables(lang: str) -> None:
    loaded = pack(lang)
    assert variable_problems(loaded, pack("en")) == []
    assert loaded.meta.locale and loaded.meta.english_name


def test_a_missing_key_fails() -> None:
    raw = _raw("ja")
    del raw["sms"]["confirmation"]
    with pytest.raises(ValidationError, match=r"sms\.confirmation"):
        Pack.model_validate(raw)


def test_an_extra_key_fails() -> None:
    raw = _raw("es")
    raw["tools"]["sms_sent_twice"] = "Dos veces."
    with pytest.raises(ValidationError, match="sms_sent_twice"):
        Pack.model_validate(raw)


def test_a_translation_missing_a_variable_fails() -> None:
    raw = _raw("ja")
    raw["sms"]["confirmation"] = raw["sms"]["confirmation"].replace("{when}", "")
    problems = variable_problems(Pack.model_validate(raw), pack("en"))
    assert problems == ["sms.confirmation: lacks {when}"]


def test_a_translation_with_an_unknown_variable_fails() -> None:
    raw = _raw("es")
    raw["calls"]["handoff"] = "Le paso con {advisor}."
    problems = variable_problems(Pack.model_validate(raw), pack("en"))
    assert problems == ["calls.handoff: unknown {advisor}"]


def test_a_bad_pack_is_refused_when_loaded(tmp_path, monkeypatch) -> None:
    # The Japanese reminder text loses its {shop_name} (a translator renamed it {shop}).
    raw = (
        (PACKS / "ja.toml")
        .read_text("utf-8")
        .replace('reminder = "{shop_name}', 'reminder = "{shop}')
    )
    (tmp_path / "ja.toml").write_text(raw, "utf-8")
    (tmp_path / "en.toml").write_text((PACKS / "en.toml").read_text("utf-8"), "utf-8")
    monkeypatch.setattr("pitstop.i18n.PACKS", tmp_path)
    pack.cache_clear()
    try:
        with pytest.raises(PackError, match=r"sms.reminder: lacks \{shop_name\}"):
            pack("ja")
    finally:
        pack.cache_clear()


def test_an_unknown_language_falls_back_to_english() -> None:
    assert supported("fr") == "en" and supported(None) == "en"
    assert text("fr", "calls.handoff") == text("en", "calls.handoff")


def test_every_english_text_template_stays_gsm7() -> None:
    """One curly quote or dash in an English SMS would double its segments (UCS-2)."""
    for key, template in pack("en").templates().items():
        if key.startswith("sms."):
            assert non_gsm7_characters(template) == [], key


def test_spanish_text_templates_need_no_ucs2_of_their_own() -> None:
    """Spanish wording keeps to GSM-7 (ñ and é are in it); only a Saturday (sábado) is not."""
    for key, template in pack("es").templates().items():
        if key.startswith("sms."):
            assert non_gsm7_characters(template) == [], key
