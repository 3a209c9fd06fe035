"""Rendering a notification in the recipient's locale (English fallback per message): subject, plain
text, and an HTML part built from the text (escaped), with the portal link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template, Undefined
from jinja2.sandbox import SandboxedEnvironment

DATA = Path(__file__).parent / "data"
LOCALES = ("en", "fr", "de")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def catalogue(locale: str) -> dict[str, Any]:
    return yaml.safe_load((DATA / f"{locale}.yaml").read_text(encoding="utf-8"))


def _date(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%Y-%m-%d") if isinstance(value, datetime) else str(value)


@cache
def _environment(locale: str) -> SandboxedEnvironment:
    # sandboxed: templates are data; lenient on missing fields (an optional field is simply empty)
    env = SandboxedEnvironment(autoescape=False, undefined=Undefined, keep_trailing_newline=False)
    statuses = {**catalogue("en")["statuses"], **catalogue(locale).get("statuses", {})}
    env.filters["date"] = _date
    env.filters["status"] = lambda s: statuses.get(s, str(s).replace("_", " "))
    return env


@cache
def _template(locale: str, key: str, part: str) -> Template:
    # the catalogue is fixed for the life of the process: compile each message part once (compiling
    # took about a tenth of the notifications worker's CPU when it happened per notification)
    return _environment(locale).from_string(catalogue(locale)[key][part])


def message(locale: str, key: str) -> tuple[str, dict[str, str]]:
    """(the locale used, the message) — the recipient's locale if it has the message, else English."""
    if locale in LOCALES and key in catalogue(locale):
        return locale, catalogue(locale)[key]
    return "en", catalogue("en")[key]


def render(locale: str, key: str, context: dict[str, Any], link: str | None) -> tuple[str, Rendered]:
    used, _ = message(locale, key)
    subject = " ".join(_template(used, key, "subject").render(**context).split())
    text = _template(used, key, "body").render(**context).strip()
    open_label = catalogue(used).get("open_link") or catalogue("en")["open_link"]
    if link:
        text += f"\n\n{open_label}: {link}"
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    html = (
        f'<!doctype html><html lang="{used}"><head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
        f'<body style="font-family: sans-serif; max-width: 40rem">{paragraphs}'
        + (f'<p><a href="{escape(link)}">{escape(open_label)}</a></p>' if link else "")
        + "</body></html>"
    )
    return used, Rendered(subject=subject[:300], text=text, html=html)


def strict_check(key: str, context: dict[str, Any]) -> None:
    """For tests: render every locale's message with undefined names as errors."""
    for locale in LOCALES:
        if key in catalogue(locale):
            env = SandboxedEnvironment(undefined=StrictUndefined)
            env.filters.update(_environment(locale).filters)
            env.from_string(catalogue(locale)[key]["subject"]).render(**context)
            env.from_string(catalogue(locale)[key]["body"]).render(**context)
