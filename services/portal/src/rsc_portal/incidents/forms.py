"""Reading the incident forms into request bodies for the monitoring API. A form the portal can already
tell is incomplete raises FormProblem (field -> message key) before any call; everything else is the
API's to decide."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from rsc_common.contracts.incidents import EvidenceKind, MeasureKind, MeasureStatus, Severity, Status
from rsc_portal.casework.forms import FormProblem, Posted, end_of_day, parse_date, text

__all__ = ["FormProblem", "Posted", "text"]

REQUIRED = "incidents.error.required"
LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
SUBJECT_SPLIT = re.compile(r"[\s,;]+")


# the monitoring API's own vocabulary (rsc_common.contracts.incidents), for filters and choices; the API
# validates again
STATUSES = tuple(s.value for s in Status)
EVIDENCE_KINDS = tuple(k.value for k in EvidenceKind)
MEASURE_KINDS = tuple(k.value for k in MeasureKind)
MEASURE_STATUSES = tuple(s.value for s in MeasureStatus)
SEVERITIES = tuple(s.value for s in Severity)


def _required(form: FormData, name: str, problems: dict[str, str]) -> str:
    value = text(form, name)
    if not value:
        problems[name] = REQUIRED
    return value


def _choice(form: FormData, name: str, allowed: tuple[str, ...], problems: dict[str, str]) -> str:
    value = text(form, name)
    if value not in allowed:
        problems[name] = REQUIRED
    return value


def _done(body: dict[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    if problems:
        raise FormProblem(problems)
    return body


def subjects(raw: str) -> list[str]:
    """User ids typed one per line (or separated by commas), without repeats, in the order typed."""
    return list(dict.fromkeys(s for s in SUBJECT_SPLIT.split(raw) if s))


def triage(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {
        "severity": _choice(form, "severity", SEVERITIES, problems),
        "assignees": subjects(text(form, "assignees")),
        "note": _required(form, "note", problems),
    }
    return _done(body, problems)


def note(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    return _done({"note": _required(form, "note", problems)}, problems)


def dismissal(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    return _done({"reason": _required(form, "reason", problems)}, problems)


def measures(form: FormData) -> dict[str, Any]:
    """The chosen measure kinds (checkbox `kind`), each with `owner__<kind>`, `due__<kind>` (a date, optional:
    the policy's default then) and `note__<kind>`; and the note on the decision."""
    problems: dict[str, str] = {}
    chosen = [k for k in dict.fromkeys(form.getlist("kind")) if isinstance(k, str) and k in MEASURE_KINDS]
    if not chosen:
        problems["kind"] = "incidents.error.one_measure"
    items = []
    for kind in chosen:
        item: dict[str, Any] = {
            "kind": kind,
            "owner": _required(form, f"owner__{kind}", problems),
            "note": _required(form, f"note__{kind}", problems),
        }
        raw = text(form, f"due__{kind}")
        if raw:
            day = parse_date(raw)
            if day is None:
                problems[f"due__{kind}"] = "incidents.error.date"
            else:
                item["due_at"] = end_of_day(day)
        items.append(item)
    return _done({"measures": items, "note": _required(form, "note", problems)}, problems)


def measure_status(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {"status": _choice(form, "status", MEASURE_STATUSES, problems), "note": _required(form, "note", problems)}
    return _done(body, problems)


def closure(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {
        "outcome": _required(form, "outcome", problems),
        "lessons_learned": _required(form, "lessons_learned", problems),
    }
    return _done(body, problems)


def evidence(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    body = {"kind": _choice(form, "kind", EVIDENCE_KINDS, problems), "body": _required(form, "body", problems)}
    return _done(body, problems)


def assignees(form: FormData) -> dict[str, Any]:
    problems: dict[str, str] = {}
    people = subjects(text(form, "assignees"))
    if not people:
        problems["assignees"] = "incidents.error.one_assignee"
    return _done({"assignees": people}, problems)


def new_incident(form: FormData) -> dict[str, Any]:
    """An officer's report: type, severity, title, description; grant and time of occurrence optional (the
    time is entered in UTC, as the label says)."""
    problems: dict[str, str] = {}
    body: dict[str, Any] = {
        "type": _required(form, "type", problems),
        "severity": _choice(form, "severity", SEVERITIES, problems),
        "title": _required(form, "title", problems),
        "description": _required(form, "description", problems),
    }
    reference = text(form, "grant_reference")
    if reference:
        body["grant_reference"] = reference
    occurred = text(form, "occurred_at")
    if occurred:
        if LOCAL_DATETIME.match(occurred):
            body["occurred_at"] = (occurred if len(occurred) > 16 else occurred + ":00") + "+00:00"
        else:
            problems["occurred_at"] = "incidents.error.datetime"
    return _done(body, problems)


def api_field_errors(pointers: dict[str, str], posted_kinds: list[str] | None = None) -> dict[str, str]:
    """API JSON pointers (`/note`, `/measures/1/owner`) as the names of the form's fields (`note`,
    `owner__<kind>` for the second chosen measure); unknown pointers are kept as they are."""
    out: dict[str, str] = {}
    for pointer, message in pointers.items():
        parts = [p for p in pointer.split("/") if p]
        if len(parts) == 3 and parts[0] == "measures" and parts[1].isdigit() and posted_kinds is not None:
            index = int(parts[1])
            field = {"due_at": "due"}.get(parts[2], parts[2])
            name = f"{field}__{posted_kinds[index]}" if index < len(posted_kinds) else pointer
        elif len(parts) == 1:
            name = parts[0]
        else:
            name = pointer
        out.setdefault(name, message)
    return out
