"""Every text of the UI exists in every language, and every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rsc_portal.i18n import DATA, catalogue, languages, negotiate, translate

TEMPLATES = DATA.parent.parent / "templates"
PACKAGE = TEMPLATES.parent
# t("area.key") / t('area.key') with a whole literal key (not a prefix joined to a value), in templates and code
KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']\s*[,)]""")


def test_the_portal_speaks_the_languages_of_the_notifications() -> None:
    from rsc_notifications.messages import render

    notification_languages = sorted(p.stem for p in (Path(render.__file__).parent / "data").glob("*.yaml"))
    assert languages() == notification_languages == ["de", "en", "fr"]


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_every_key_is_translated(lang: str) -> None:
    english, other = catalogue("en"), catalogue(lang)
    assert sorted(set(english) - set(other)) == []
    assert sorted(set(other) - set(english)) == []
    # the same placeholders in every language
    for key, text in english.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", other[key])), (lang, key)


def test_every_key_used_by_a_template_or_view_exists() -> None:
    english = catalogue("en")
    used: set[tuple[str, str]] = set()
    for path in [*TEMPLATES.rglob("*.html"), *PACKAGE.rglob("*.py")]:
        used |= {(key, str(path.relative_to(PACKAGE))) for key in KEY.findall(path.read_text(encoding="utf-8"))}
    assert len(used) > 20
    missing = sorted((key, where) for key, where in used if key not in english)
    assert missing == []


def test_every_key_family_a_template_builds_from_a_value_exists() -> None:
    """t("casework.level." ~ level): at least the family must exist (its members are data-driven)."""
    english = catalogue("en")
    family = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]*[._])["']\s*~""")
    prefixes = {p for path in TEMPLATES.rglob("*.html") for p in family.findall(path.read_text(encoding="utf-8"))}
    assert prefixes
    assert sorted(p for p in prefixes if not any(k.startswith(p) for k in english)) == []


def test_catalogue_files_are_per_area_and_language() -> None:
    for lang in languages():
        assert {p.stem for p in (DATA / lang).glob("*.yaml")} == {p.stem for p in (DATA / "en").glob("*.yaml")}


def test_translation_falls_back_to_english_and_fills_placeholders() -> None:
    assert translate("de", "common.signed_in_as", name="x") == "Angemeldet als x"
    assert translate("xx", "common.sign_in") == "Sign in"
    assert translate("en", "no.such_key") == "no.such_key"
    assert negotiate("de-CH, fr;q=0.9, en;q=0.8", ("en", "fr", "de")) == "de"
    assert negotiate("it, fr;q=0.5", ("en", "fr", "de")) == "fr"
    assert negotiate("it", ("en", "fr", "de")) is None
