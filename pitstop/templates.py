"""The shop's own wording (greeting, extra instructions), with its template variables filled in.

Shared by the console, which checks a template when it is saved (`check_template`), and the
media bridge, which fills it in for each call (`render_template`): one list of variables, so
what the form accepts is exactly what a call can fill. Filling in is still defensive: a value the
call does not know (a new caller has no first name) leaves a neutral word rather than a literal
`{customer_first_name}` read aloud, and text stored before the check existed (stray braces) is
passed through as written instead of failing the call.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

# What the shop's own wording may refer to, e.g. "Greet {customer_first_name} by name".
TEMPLATE_VARIABLES = frozenset({"shop_name", "shop_phone", "persona_name", "customer_first_name"})

# Said instead of a value the call does not have (an unknown caller's name).
UNKNOWN = {"customer_first_name": "the caller"}


def check_template(value: str) -> str:
    """`value` if every `{variable}` in it is one a call fills in, else a `ValueError` saying
    which are not (the console's validators raise it as the field's error)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as error:
        raise ValueError(f"unbalanced braces ({error})") from None
    if unknown := names - TEMPLATE_VARIABLES:
        raise ValueError(
            f"unknown template variable(s) {sorted(unknown)}; "
            f"use {sorted('{' + n + '}' for n in TEMPLATE_VARIABLES)}"
        )
    return value


def render_template(template: str, values: Mapping[str, str | None]) -> str:
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
