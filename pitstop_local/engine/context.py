"""What the engine learns from `session.update`: the call's context and the shop's vocabulary.

Why parse loosely: the instructions are prose written for a language model (the bridge builds
them from the call context and the shop's data). The engine reads the few facts it needs
with tolerant patterns, so a reworded template degrades to defaults instead of breaking:

- direction: `direction: reminder` / `direction: inbound`, or the words "outbound reminder" /
  "reminder call" anywhere → reminder; otherwise inbound.
- appointment: the first `apt_…` identifier.
- today: an ISO date on a line mentioning "today" (`Today: 2026-11-26`, `today's date is …`),
  else "today is Thursday, November 26, 2026"; else today in the shop's timezone
  (`timezone: America/New_York`).
- shop name: `shop: …` / `shop name: …` / "… for <Shop Name>." / "at <Shop Name>".
- persona: `persona: Robin` / "your name is Robin" / "You are Robin, …".
- greeting: the shop's own, `… in these words: "<greeting>"` (spoken instead of the default).
- services: the `service_type` enum in the `check_availability` tool schema, bullet lines of a
  section whose heading mentions services (`- Oil change (oil_change): 30 min …`), and a
  built-in list of common services as the last resort.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pitstop_local.speech.words import MONTHS, normalize_text

DEFAULT_SERVICES = (
    "oil change", "tire rotation", "brake inspection", "brake service", "state inspection",
    "battery replacement", "wheel alignment", "diagnostic", "air conditioning service",
    "transmission service",
)  # fmt: skip

#: spoken make → canonical make
MAKES = {
    "toyota": "Toyota", "honda": "Honda", "ford": "Ford", "chevrolet": "Chevrolet",
    "chevy": "Chevrolet", "nissan": "Nissan", "subaru": "Subaru", "hyundai": "Hyundai",
    "kia": "Kia", "volkswagen": "Volkswagen", "mazda": "Mazda", "jeep": "Jeep", "tesla": "Tesla",
    "dodge": "Dodge", "audi": "Audi", "lexus": "Lexus", "volvo": "Volvo", "buick": "Buick",
    "acura": "Acura", "chrysler": "Chrysler", "mercedes": "Mercedes-Benz", "b m w": "BMW",
}  # fmt: skip
#: spoken model → (make, model)
MODELS = {
    "camry": ("Toyota", "Camry"), "corolla": ("Toyota", "Corolla"), "prius": ("Toyota", "Prius"),
    "tacoma": ("Toyota", "Tacoma"), "highlander": ("Toyota", "Highlander"),
"civic": ("Honda", "Civic"), "accord": ("Honda", "Accord"),
    "pilot": ("Honda", "Pilot"), "odyssey": ("Honda", "Odyssey"), "c r v": ("Honda", "CR-V"),
    "focus": ("Ford", "Focus"), "escape": ("Ford", "Escape"), "explorer": ("Ford", "Explorer"),
    "mustang": ("Ford", "Mustang"), "fusion": ("Ford", "Fusion"), "f one fifty": ("Ford", "F-150"),
    "silverado": ("Chevrolet", "Silverado"), "malibu": ("Chevrolet", "Malibu"),
    "equinox": ("Chevrolet", "Equinox"), "tahoe": ("Chevrolet", "Tahoe"),
    "altima": ("Nissan", "Altima"), "sentra": ("Nissan", "Sentra"), "rogue": ("Nissan", "Rogue"),
    "outback": ("Subaru", "Outback"), "forester": ("Subaru", "Forester"),
    "sorento": ("Kia", "Sorento"),
    "sonata": ("Hyundai", "Sonata"), "tucson": ("Hyundai", "Tucson"), "soul": ("Kia", "Soul"),
    "optima": ("Kia", "Optima"), "jetta": ("Volkswagen", "Jetta"), "golf": ("Volkswagen", "Golf"),
    "passat": ("Volkswagen", "Passat"), "wrangler": ("Jeep", "Wrangler"),
    "cherokee": ("Jeep", "Cherokee"), "model three": ("Tesla", "Model 3"),
    "charger": ("Dodge", "Charger"),
}  # fmt: skip


@dataclass
class Context:
    direction: str = "inbound"
    today: dt.date = field(default_factory=dt.date.today)
    appointment_id: str | None = None
    shop_name: str = "our service centre"
    persona: str = "Robin"
    greeting: str | None = None  # the shop's own greeting (`AgentSettings.greeting`), filled in
    timezone: str = "America/New_York"
    #: spoken phrase (lowercase words) → the value passed to the tools as service_type
    services: dict[str, str] = field(default_factory=dict)
    makes: dict[str, str] = field(default_factory=lambda: dict(MAKES))
    models: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(MODELS))
    tool_names: frozenset[str] = frozenset()


_ISO = r"(\d{4}-\d{2}-\d{2})"


def parse_context(instructions: str | None, tools: list[Any] | None = None) -> Context:
    """Build the engine's `Context` from the session's instructions and tool definitions."""
    text = instructions or ""
    ctx = Context()
    ctx.timezone = (
        _search(r"time ?zone\W{0,3}\s*([A-Za-z_]+/[A-Za-z_]+)", text, re.IGNORECASE) or ctx.timezone
    )
    ctx.today = _today(text, ctx.timezone)
    direction = _search(r"direction\W{0,3}\s*(inbound|reminder|outbound)", text, re.IGNORECASE)
    if direction:
        ctx.direction = "inbound" if direction.lower() == "inbound" else "reminder"
    elif re.search(r"outbound reminder|reminder call", text, re.IGNORECASE):
        ctx.direction = "reminder"
    if ctx.direction == "reminder":
        ctx.appointment_id = _search(
            r"appointment[ _]id\W{0,4}\s*(apt_[A-Za-z0-9]+)", text, re.IGNORECASE
        ) or _search(r"\b(apt_[A-Za-z0-9]+)", text)
    ctx.shop_name = (
        _search(
            r"(?:calling|answer(?:ing)? the phone|receptionist) (?:for|at) "
            r"([A-Z][\w'&]*(?: [A-Z&][\w'&]*)*)",
            text,
        )
        or _search(r"(?im)^\W*shop(?: name)?\s*[:=]\s*([^.\n]+)", text)
        or ctx.shop_name
    )
    ctx.persona = (
        _search(r"(?im)^\W*persona(?: name)?\s*[:=]\s*([A-Z][a-z]+)", text)
        or _search(r"[Yy]our name is ([A-Z][a-z]+)", text)
        or _search(r"\bYou are ([A-Z][a-z]+)\b", text)
        or ctx.persona
    )
    ctx.greeting = _search(r'in these words: "(.+)"', text)
    tool_list = [t for t in tools or [] if isinstance(t, dict)]
    ctx.tool_names = frozenset(str(t.get("name")) for t in tool_list if t.get("name"))
    ctx.services = _services(text, tool_list)
    return ctx


def _search(pattern: str, text: str, flags: int = 0) -> str | None:
    m = re.search(pattern, text, flags)
    return m.group(1).strip() if m else None


def _today(text: str, timezone: str) -> dt.date:
    for line in text.splitlines():
        if re.search(r"today|current date|date:", line, re.IGNORECASE):
            iso = _search(_ISO, line)
            if iso:
                try:
                    return dt.date.fromisoformat(iso)
                except ValueError:
                    pass
            m = re.search(
                r"(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})",
                line,
                re.IGNORECASE,
            )
            if m:
                try:
                    return dt.date(
                        int(m.group(3)), MONTHS.index(m.group(1).lower()) + 1, int(m.group(2))
                    )
                except ValueError:
                    pass
    try:
        return dt.datetime.now(ZoneInfo(timezone)).date()
    except Exception:  # noqa: BLE001 - unknown zone: the server's date is the best guess
        return dt.date.today()


def _services(text: str, tools: list[dict]) -> dict[str, str]:
    found: dict[str, str] = {}

    def add(spoken: str, value: str) -> None:
        spoken = normalize_text(spoken.replace("_", " "))
        if spoken and len(spoken) <= 40:
            found.setdefault(spoken, value)

    for value in _enum_service_types(tools):
        add(value, value)
    for item in _listed_services(text):
        _add_item(item, add)
    if not found:
        for name in DEFAULT_SERVICES:
            add(name, name)
    return found


def _enum_service_types(tools: list[dict]) -> Iterator[str]:
    """The `service_type` enum values the tools declare (the codes the tools accept)."""
    for tool in tools:
        props = (tool.get("parameters") or {}).get("properties") or {}
        for value in (props.get("service_type") or {}).get("enum") or []:
            yield str(value)


def _listed_services(text: str) -> Iterator[str]:
    """Service entries in the instructions: an inline "Services ...: a; b." line, or the bullets
    under a short line that names services."""
    in_section = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        inline = re.match(r"^\W*services?\b[^:]{0,40}:\s*(.+)$", stripped, re.IGNORECASE)
        if inline:  # "Services (typical price range): Oil change ($49-$89); Tire rotation (...)."
            yield from re.split(r";|\.\s*$", inline.group(1))
            in_section = True
            continue
        bullet = re.match(r"^[-*•]\s+(.*)$", stripped)
        if not bullet:
            in_section = (
                bool(re.search(r"services?\b", stripped, re.IGNORECASE)) and len(stripped) < 80
            )
        elif in_section:
            yield bullet.group(1)


def _add_item(item: str, add) -> None:
    """One service entry: "Oil change (oil_change): 30 min, aka oil, lube" → name, code, aliases."""
    item = item.strip()
    name = re.split(r"\s[(\[\u2014\u2013-]\s?|[(:\[,]", item, maxsplit=1)[0].strip()
    if not name or not re.search(r"[A-Za-z]", name):
        return
    add(name, name)
    code = _search(r"\(([a-z0-9_]+)\)", item)
    if code:
        add(code, name)
    aliases = _search(r"(?:aka|also called|aliases?)[:\s]+([^;)\]]+)", item, re.IGNORECASE)
    for alias in (aliases or "").split(","):
        if alias.strip():
            add(alias.strip(), name)
