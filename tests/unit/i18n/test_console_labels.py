"""The console's label files (`console/labels/*.js`): every language has every key, with the
same `{variables}`, and every label a page asks for exists. Node imports each file as the
browser does (an ES module); pytest compares."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pitstop.i18n import LANGUAGES

CONSOLE = Path(__file__).resolve().parents[3] / "console"
LABELS = sorted((CONSOLE / "labels").glob("*.js"))
# Each file's default export, as JSON: {area: {lang: {key: label}}}.
LOAD = """
const fs = require("fs");
const files = JSON.parse(process.argv[1]);
Promise.all(files.map(async (file) => {
  const source = fs.readFileSync(file, "utf8");
  const module = await import("data:text/javascript," + encodeURIComponent(source));
  return [file, module.default];
})).then((pairs) => process.stdout.write(JSON.stringify(Object.fromEntries(pairs))));
"""
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, dict[str, str]]]:
    out = subprocess.run(
        [NODE, "-e", LOAD, json.dumps([str(p) for p in LABELS])],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {Path(file).stem: value for file, value in json.loads(out.stdout).items()}


def _variables(label: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", label))


def test_there_are_label_files_and_the_console_knows_the_packs_languages(labels) -> None:
    assert {"shell", "today", "board", "customers", "settings", "catalog"} <= set(labels)
    i18n = (CONSOLE / "i18n.js").read_text("utf-8")
    listed = re.search(r"export const LANGUAGES = \[([^\]]*)\]", i18n)
    assert listed and sorted(re.findall(r'"(\w+)"', listed.group(1))) == sorted(LANGUAGES)


@pytest.mark.parametrize("path", LABELS, ids=lambda p: p.stem)
def test_every_language_has_every_key_with_the_same_variables(labels, path: Path) -> None:
    area = labels[path.stem]
    assert sorted(area) == sorted(LANGUAGES), f"{path.name}: languages {sorted(area)}"
    english = area["en"]
    for lang, entries in area.items():
        assert sorted(entries) == sorted(english), (
            f"{path.name} {lang}: missing {sorted(set(english) - set(entries))}, "
            f"extra {sorted(set(entries) - set(english))}"
        )
        for key, label in entries.items():
            assert label.strip(), f"{path.name} {lang}.{key} is empty"
            assert _variables(label) == _variables(english[key]), f"{path.name} {lang}.{key}"


def _asked_for() -> list[tuple[str, str, str]]:
    """(file, area, key) of every literal `t("key")` in a script that registers an area, and
    every `data-label="area.key"` of the page's HTML."""
    found = []
    for script in [*CONSOLE.glob("*.js"), *CONSOLE.glob("pages/*.js")]:
        source = script.read_text("utf-8")
        registered = re.search(r'register\("([\w-]+)"', source)
        if registered:
            for key in re.findall(r'\bt\("(\w+)"', source):
                found.append((script.name, registered.group(1), key))
    html = (CONSOLE / "index.html").read_text("utf-8")
    for area, key in re.findall(r'data-label="([\w-]+)\.(\w+)"', html):
        found.append(("index.html", area, key))
    return found


def test_every_label_a_page_asks_for_exists(labels) -> None:
    asked = _asked_for()
    assert len(asked) > 100
    missing = [(f, a, k) for f, a, k in asked if k not in labels.get(a, {}).get("en", {})]
    assert missing == []
