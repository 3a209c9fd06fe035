"""No country in code or rules: scan the code of every service and of rsc_common, and the shipped policy,
catalogue and indicator set, for ISO 3166-1 codes used as literals and for country names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pycountry
import pytest
import yaml

import rsc_appraisal
from rsc_appraisal.policy.agnostic import country_literal

PACKAGE = Path(rsc_appraisal.__file__).parent
ROOT = PACKAGE.parents[3]
CODE = sorted(
    p
    for p in [*(ROOT / "services").glob("*/src/**/*.py"), *(ROOT / "libs" / "common" / "src").glob("**/*.py")]
    if "migrations" not in p.parts
)
# Literals that look like a country code but are not one, or that are demo data, each with its reason.
ALLOWED = {
    ("classification/normalize.py", "AE"): "the ligature Æ folded to the letters AE",
    ("rsc_intake/seed.py", "NL"): "the fictitious demo organisations of `rsc-intake seed` (data, not a rule)",
    ("rsc_intake/seed.py", "FR"): "the fictitious demo organisations of `rsc-intake seed` (data, not a rule)",
}
RULE_DATA = [
    PACKAGE / "policy" / "data" / "default-policy.yaml",
    PACKAGE / "policy" / "data" / "safeguard-catalogue.yaml",
    PACKAGE / "countries" / "data" / "indicators.yaml",
]
CODES = {c.alpha_2 for c in pycountry.countries} | {c.alpha_3 for c in pycountry.countries}
EXTRA_NAMES = [
    "Russia",
    "Britain",
    "Great Britain",
    "England",
    "America",
    "USA",
    "UK",
    "Holland",
    "Korea",
    "Persia",
    "Burma",
    "Czech Republic",
    "Macedonia",
    "Ivory Coast",
    "Turkey",
    "Vatican",
    "Palestine",
    "Kosovo",
]


def _names() -> re.Pattern[str]:
    names = set(EXTRA_NAMES)
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.add(value)
                names.add(value.split(", ")[0])
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])")


NAMES = _names()


def _yaml_strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _yaml_strings(k) + _yaml_strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _yaml_strings(item)]
    return []


def test_files_are_found() -> None:
    assert len(CODE) >= 200
    assert {p.parts[p.parts.index("services") + 1] for p in CODE if "services" in p.parts} == {
        "appraisal",
        "intake",
        "monitoring",
        "notifications",
        "portal",
    }
    assert all(path.exists() for path in RULE_DATA)


@pytest.mark.parametrize("path", CODE, ids=lambda p: "/".join(p.parts[-3:]))
def test_code_has_no_country_literals(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    where = "/".join(path.parts[-2:])
    codes = [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.strip() in CODES
        and (where, node.value.strip()) not in ALLOWED
    ]
    assert codes == [], f"{path.name}: country codes as literals: {codes}"
    names = NAMES.findall(source)  # comments and docstrings included
    assert names == [], f"{path.name}: country names: {names}"


@pytest.mark.parametrize("path", RULE_DATA, ids=lambda p: p.name)
def test_shipped_rules_and_catalogues_name_no_country(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    strings = _yaml_strings(yaml.safe_load(text))
    assert [s for s in strings if s.strip() in CODES] == []
    assert NAMES.findall(text) == []


def test_the_scanners_do_find_countries() -> None:
    assert NAMES.findall("a partner in Germany or the UK") == ["Germany", "UK"]
    assert country_literal("DE") == "DE"
    assert country_literal("a rule about Japan") == "Japan"
    assert country_literal("Korea, Republic of") is not None
    assert country_literal("physical or IT separation") is None  # codes count only as whole values
    assert country_literal("guinea pigs and mali-gnant text") is None
