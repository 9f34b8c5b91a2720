"""The shop's own instructions, with their template variables filled in for one call.

The settings form refuses a variable outside `TEMPLATE_VARIABLES` when it is saved, so by the time
a call starts every `{name}` in the text is one of these. Filling them in is still defensive: a
value the call does not know (a new caller has no first name) leaves a neutral word rather than a
literal `{customer_first_name}` read aloud, and text stored before the check existed (stray braces)
is passed through as written instead of failing the call.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

# What the shop's own instructions may refer to, e.g. "Greet {customer_first_name} by name".
TEMPLATE_VARIABLES = frozenset({"shop_name", "shop_phone", "persona_name", "customer_first_name"})

# Said instead of a value the call does not have (an unknown caller's name).
UNKNOWN = {"customer_first_name": "the caller"}


def render_instructions(template: str, values: Mapping[str, str | None]) -> str:
    """`template` with each `{variable}` replaced by `values[variable]` (or its neutral word).

    Only `str.format`-style fields named in `TEMPLATE_VARIABLES` are replaced; `{{`/`}}` are
    literal braces as in `str.format`. Unbalanced braces leave the text as it is."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    out: list[str] = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name not in TEMPLATE_VARIABLES:
            bang, colon = f"!{conversion}" if conversion else "", f":{spec}" if spec else ""
            out.append(f"{{{name}{bang}{colon}}}")
            continue
        out.append(values.get(name) or UNKNOWN.get(name, ""))
    return "".join(out)
