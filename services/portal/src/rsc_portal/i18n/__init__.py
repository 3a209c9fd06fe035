"""UI text in English, French and German (the languages of the notifications), one YAML catalogue per page
area and language in `data/<lang>/<area>.yaml`; keys are `<area>.<key>`. A missing translation falls back
to English (tests/portal check every key exists in every language)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
DEFAULT = "en"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    folder = DATA / lang
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        _flatten(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")) or {}, out)
    return out


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}", value, out)
    else:
        out[prefix] = str(node)


def languages() -> list[str]:
    return sorted(p.name for p in DATA.iterdir() if p.is_dir())


def translate(lang: str, key: str, **params: Any) -> str:
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key)
    if text is None:
        return key  # visible in the page and caught by the catalogue tests
    return text.format(**params) if params else text


def negotiate(accept_language: str | None, available: tuple[str, ...] | list[str]) -> str | None:
    """The first language of an Accept-Language header that the portal speaks (quality order)."""
    if not accept_language:
        return None
    ranked = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            quality = float(q) if q else 1.0
        except ValueError:
            quality = 0.0
        ranked.append((-quality, i, tag.split("-")[0].strip().lower()))
    for _, _, lang in sorted(ranked):
        if lang in available:
            return lang
    return None
