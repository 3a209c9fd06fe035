"""Form fields to API bodies and back, for the guided proposal steps.

Field names are dotted paths into the proposal document (`partners.0.country`), so an API error's JSON
pointer (`/partners/0/country`) names its input directly. Values are sent as typed (stripped): the API
validates them and its messages appear beside the fields; what was typed is rendered again on error.
A block of a repeatable list whose fields are all blank is dropped (every list shows one blank row to add).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData

IDENTIFIERS = ("pic", "ror", "lei", "vat")
NONE_OF_THE_AREAS = "none"
_SPLIT = re.compile(r"[,;\n]")


# ------------------------------------------------------------------------------------ helpers


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(value: str) -> str | None:
    return value or None


def boolean(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


def split_list(value: str, *, upper: bool = False) -> list[str]:
    items = [item.strip() for item in _SPLIT.split(value) if item.strip()]
    return [item.upper() for item in items] if upper else items


def indices(form: FormData, prefix: str) -> list[int]:
    """The row numbers present under `prefix` (`partners` → 0, 2 for `partners.0.name`, `partners.2.role`)."""
    found: set[int] = set()
    start = prefix + "."
    for key in form:
        if key.startswith(start):
            head = key[len(start) :].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _put(row: dict[str, Any], key: str, value: Any) -> None:
    """Required scalars left blank are omitted (the API then says "Field required" at their pointer)."""
    if value not in (None, ""):
        row[key] = value


def _is_blank(row: Any) -> bool:
    if isinstance(row, dict):
        return all(_is_blank(v) for v in row.values())
    if isinstance(row, list):
        return all(_is_blank(v) for v in row)
    return row in (None, "", False)


def _rows(form: FormData, prefix: str, parse: Callable[[FormData, str], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [parse(form, f"{prefix}.{i}.") for i in indices(form, prefix)]
    return [row for row in rows if not _is_blank(row)]


def pointer_to_name(pointer: str) -> str:
    """`/partners/0/country` → `partners.0.country` (RFC 6901 unescaped)."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/") if p != ""]
    return ".".join(parts)


def errors_by_name(field_errors: dict[str, str]) -> dict[str, str]:
    return {pointer_to_name(pointer): message for pointer, message in field_errors.items()}


def error_lookup(errors: dict[str, str]) -> Callable[[str], str | None]:
    """For templates: the error of a field, or of anything inside it (`partners.0.aliases.1` → `partners.0.aliases`)."""

    def lookup(name: str) -> str | None:
        if name in errors:
            return errors[name]
        inner = name + "."
        return next((message for key, message in errors.items() if key.startswith(inner)), None)

    return lookup


# ------------------------------------------------------------------------------- step: project


def parse_details(form: FormData) -> dict[str, Any]:
    p = "details."
    details: dict[str, Any] = {}
    for name in ("acronym", "title", "abstract", "open_science_statement", "requested_budget_eur", "duration_months"):
        details[name] = optional(text(form, p + name))
    details["keywords"] = split_list(text(form, p + "keywords"))
    areas = [a for a in form.getlist(p + "critical_technology_areas") if isinstance(a, str)]
    chosen = [a for a in areas if a != NONE_OF_THE_AREAS]
    details["critical_technology_areas"] = chosen if chosen else ([] if NONE_OF_THE_AREAS in areas else None)

    dm: dict[str, Any] = {}
    _put(dm, "sensitive_personal_data", boolean(text(form, p + "data_management.sensitive_personal_data")))
    _put(dm, "large_or_aggregated_datasets", boolean(text(form, p + "data_management.large_or_aggregated_datasets")))
    statement = text(form, p + "data_management.statement")
    details["data_management"] = {**dm, "statement": statement} if dm or statement else None

    si: dict[str, Any] = {}
    _put(
        si,
        "uses_sensitive_infrastructure",
        boolean(text(form, p + "sensitive_infrastructure.uses_sensitive_infrastructure")),
    )
    description = text(form, p + "sensitive_infrastructure.description")
    details["sensitive_infrastructure"] = {**si, "description": description} if si or description else None
    return details


# ------------------------------------------------------------------------------ step: partners


def _identifiers(form: FormData, p: str) -> dict[str, str]:
    return {k: v for k in IDENTIFIERS if (v := text(form, f"{p}identifiers.{k}"))}


def _controller(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("name", "country", "kind", "share_percent"):
        _put(row, name, text(form, p + name))
    if row.get("country"):
        row["country"] = row["country"].upper()
    if form.get(p + "decisive_influence"):
        row["decisive_influence"] = True
    return row


def _partner(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    _put(row, "partner_id", text(form, p + "partner_id"))
    _put(row, "name", text(form, p + "name"))
    row["aliases"] = split_list(text(form, p + "aliases"))
    row["identifiers"] = _identifiers(form, p)
    _put(row, "country", text(form, p + "country").upper())
    row["ownership_control_countries"] = split_list(text(form, p + "ownership_control_countries"), upper=True)
    _put(row, "partner_type", text(form, p + "partner_type"))
    _put(row, "role", text(form, p + "role"))
    _put(row, "budget_share_percent", text(form, p + "budget_share_percent"))
    row["owners_and_controllers"] = _rows(form, p + "owners_and_controllers", _controller)
    row["shares"] = [s for s in form.getlist(p + "shares") if isinstance(s, str) and s]
    row["declared_end_use"] = text(form, p + "declared_end_use")
    return row


def _partner_is_blank(row: dict[str, Any]) -> bool:
    return _is_blank({k: v for k, v in row.items() if k != "partner_id"})


def parse_partners(form: FormData, *, remove: int | None = None) -> list[dict[str, Any]]:
    """The partner blocks of the form in order, without blank ones (and without the block `remove`)."""
    rows = []
    for i in indices(form, "partners"):
        if i == remove:
            continue
        row = _partner(form, f"partners.{i}.")
        if not _partner_is_blank(row):
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- step: researchers


def _appointment(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("organisation", "country", "position", "since"):
        _put(row, name, text(form, p + name))
    if row.get("country"):
        row["country"] = row["country"].upper()
    return row


def _talent_programme(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("name", "sponsor", "sponsor_country", "since", "obligations"):
        _put(row, name, text(form, p + name))
    if row.get("sponsor_country"):
        row["sponsor_country"] = row["sponsor_country"].upper()
    return row


def _outside_support(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("source", "country", "kind", "amount_eur", "description"):
        _put(row, name, text(form, p + name))
    if row.get("country"):
        row["country"] = row["country"].upper()
    return row


def _researcher(form: FormData, p: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name in ("researcher_id", "full_name", "orcid", "role_in_project"):
        _put(row, name, text(form, p + name))
    row["current_appointments"] = _rows(form, p + "current_appointments", _appointment)
    row["talent_programmes"] = _rows(form, p + "talent_programmes", _talent_programme)
    row["outside_support"] = _rows(form, p + "outside_support", _outside_support)
    return row


def parse_researchers(form: FormData, *, remove: int | None = None) -> list[dict[str, Any]]:
    rows = []
    for i in indices(form, "researchers"):
        if i == remove:
            continue
        row = _researcher(form, f"researchers.{i}.")
        if not _is_blank({k: v for k, v in row.items() if k != "researcher_id"}):
            rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------- action


def action(form: FormData) -> tuple[str, int | None]:
    """The button pressed: `save`, `continue`, `add_partner`, `remove_partner:2` → ("remove_partner", 2)."""
    raw = text(form, "action") or "continue"
    name, _, index = raw.partition(":")
    return name, int(index) if index.isdigit() else None
