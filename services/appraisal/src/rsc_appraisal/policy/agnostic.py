"""Country-agnostic guard: policy rules must not name a country (Council Recommendation, principle 7).

Country codes and names are data (country profiles), never rules. The loader rejects any string in a
rule that is an ISO 3166-1 code or contains an ISO country name, so a rule cannot single out a country
even by accident. The names come from pycountry, so nothing here is a country literal either.
"""

from __future__ import annotations

import re
from functools import cache

import pycountry


@cache
def _codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | frozenset(c.alpha_3 for c in pycountry.countries)


@cache
def _name_pattern() -> re.Pattern[str]:
    names: set[str] = set()
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if not value:
                continue
            names.add(value)
            if ", " in value:  # "<short>, Republic of" style names: the short part alone names the country too
                names.add(value.split(", ")[0])
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if len(n) >= 4)
    return re.compile(rf"(?<![\w])(?:{alternatives})(?![\w])")


def country_literal(text: str) -> str | None:
    """The country code or name `text` contains, if any (codes only as the whole value, upper case;
    names as whole words with their usual capitalisation)."""
    stripped = text.strip()
    if stripped in _codes():
        return stripped
    match = _name_pattern().search(text)
    return match.group(0) if match else None
