"""Golden files of every text Pitstop produces, one per language (`golden/<lang>.txt`).

A change to any produced text shows up as a diff of a file a reviewer reads, in the language it
is written in. The goldens are rewritten only on purpose:
`PITSTOP_UPDATE_GOLDENS=1 .venv/bin/pytest tests/unit/i18n/test_golden.py`; without it a
difference fails, and a missing golden fails too (never silently created).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pitstop.i18n import LANGUAGES
from tests.unit.i18n.corpus import catalog, confirmation_sms_for, golden

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PITSTOP_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_produced_text_matches_its_golden(lang: str) -> None:
    path = GOLDEN / f"{lang}.txt"
    produced = golden(lang)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(produced, "utf-8")
    assert path.exists(), f"no golden for {lang}: run with PITSTOP_UPDATE_GOLDENS=1 and review it"
    assert produced == path.read_text("utf-8"), (
        f"{lang} texts changed: if on purpose, PITSTOP_UPDATE_GOLDENS=1 and review the diff"
    )


def test_every_language_produces_the_same_texts() -> None:
    keys = {
        lang: [line for line in golden(lang).splitlines() if line.startswith("== ")]
        for lang in LANGUAGES
    }
    names = {lang: [k.split(" [")[0] for k in lines] for lang, lines in keys.items()}
    assert all(n == names["en"] for n in names.values())


def test_a_japanese_confirmation_fits_two_segments_even_for_a_long_shop_name() -> None:
    shop = catalog("ja")
    longer = shop.shop.model_copy(update={"name": "ピットストップ東京 品川ベイサイド整備センター"})
    assert confirmation_sms_for("ja", shop).segments == 2
    assert confirmation_sms_for("ja", shop, longer).segments == 2
