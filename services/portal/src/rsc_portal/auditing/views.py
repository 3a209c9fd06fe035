"""Auditor pages: search the audit log (filters, full text, keyset pages), one entry with its neighbours,
exports (streamed through from monitoring) and the hash-chain verification."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from rsc_portal.auditing.proxy import proxy_download
from rsc_portal.backend import ApiError
from rsc_portal.security.deps import Auditor
from rsc_portal.templating import render

router = APIRouter()

MONITORING = "monitoring"
PAGE_SIZES = (25, 50, 100, 200)
# Text filters passed to the API unchanged (names as the API's query parameters).
TEXT_FILTERS = ("service", "action", "actor", "grant_reference", "incident_type", "severity", "q")
UUID_FILTERS = ("proposal_id", "organisation_id")
SERVICES = ("rsc-intake", "rsc-appraisal", "rsc-monitoring", "rsc-notifications")
# Pairs of detail fields that show a change (before, after), in the order they are looked for.
CHANGE_PAIRS = (("before", "after"), ("from_status", "to_status"), ("previous_level", "level"), ("old", "new"))


def _form_values(request: Request) -> dict[str, str]:
    """The filter form as the user filled it (strings, trimmed)."""
    names = (*TEXT_FILTERS, *UUID_FILTERS, "from", "to", "exercise", "order", "limit")
    return {name: (request.query_params.get(name) or "").strip() for name in names}


def _api_filters(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Query parameters for the API, and errors for fields the portal can already tell are wrong."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in TEXT_FILTERS:
        if values[name]:
            params[name] = values[name][:200]
    for name in UUID_FILTERS:
        if values[name]:
            try:
                params[name] = str(uuid.UUID(values[name]))
            except ValueError:
                errors[name] = "auditing.error_uuid"
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if values[name]:
            try:
                days[name] = date.fromisoformat(values[name])
            except ValueError:
                errors[name] = "auditing.error_date"
    if "from" in days:
        params["from"] = f"{days['from'].isoformat()}T00:00:00Z"
    if "to" in days:  # the form's "to" is an inclusive day; the API's `to` is exclusive
        params["to"] = f"{(days['to'] + timedelta(days=1)).isoformat()}T00:00:00Z"
    if "from" in days and "to" in days and days["from"] > days["to"]:
        errors["to"] = "auditing.error_range"
    if values["exercise"] in ("true", "false"):
        params["exercise"] = values["exercise"]
    return params, errors


def _query_string(values: dict[str, str], **extra: Any) -> str:
    pairs = [(k, v) for k, v in values.items() if v]
    pairs += [(k, v) for k, v in extra.items() if v not in (None, "")]
    return urlencode(pairs)


@router.get("/audit")
async def audit_search(request: Request, session: Auditor) -> Response:
    values = _form_values(request)
    params, local_errors = _api_filters(values)
    order = values["order"] if values["order"] in ("asc", "desc") else "desc"
    limit = int(values["limit"]) if values["limit"].isdigit() and int(values["limit"]) in PAGE_SIZES else 50
    values["order"], values["limit"] = order, str(limit)
    cursor = request.query_params.get("cursor", "")
    page: dict[str, Any] | None = None
    detail = None
    api_errors: dict[str, str] = {}
    if not local_errors:
        query = {**params, "order": order, "limit": limit}
        if cursor.isdigit():
            query["cursor"] = int(cursor)
        try:
            # `params=`, not keyword arguments: the filter `service` would clash with Backend.get's own
            response = await request.app.state.backend.request(
                session, MONITORING, "GET", "/v1/audit/entries", params=query
            )
            page = response.json()
        except ApiError as exc:
            if exc.status not in (400, 422):
                raise
            detail = exc.detail or exc.title
            api_errors = exc.field_errors()
    filters = {k: v for k, v in values.items() if k not in ("order", "limit")}
    context = {
        "values": values,
        "errors": local_errors,
        "api_errors": api_errors,
        "detail": detail,
        "page": page,
        "cursor": cursor if cursor.isdigit() else "",
        "services": SERVICES,
        "page_options": [(str(n), str(n)) for n in PAGE_SIZES],
        "next_url": (
            "/audit?" + _query_string(values, cursor=page["next_cursor"])
            if page and page.get("next_cursor") is not None
            else None
        ),
        "first_url": "/audit?" + _query_string(values) if cursor else None,
        "export_query": _query_string(filters),
        "filtered": any(filters.values()),
    }
    if request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "audit-results":
        return render(request, "auditing/_results.html", context)
    return render(request, "auditing/search.html", context, status_code=422 if local_errors else 200)


@router.get("/audit/export")
async def audit_export(request: Request, session: Auditor, format: str = "csv") -> Response:
    if format not in ("csv", "json"):
        format = "csv"
    values = _form_values(request)
    params, errors = _api_filters(values)
    if errors:
        raise ApiError(422, "Invalid filters", ", ".join(sorted(errors)))
    return await proxy_download(
        request,
        session,
        MONITORING,
        "/v1/audit/export",
        {**params, "format": format},
        fallback_name=f"audit-log.{format}",
        expected_types=("text/csv", "application/json"),
    )


def _changes(details: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) rows for the change an entry records, when its details show one."""
    rows: list[tuple[str, Any, Any]] = []
    for before_key, after_key in CHANGE_PAIRS:
        before, after = details.get(before_key), details.get(after_key)
        if before_key not in details or after_key not in details:
            continue
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before or {}, after or {}
            for key in sorted(set(before) | set(after)):
                if before.get(key) != after.get(key):
                    rows.append((key, before.get(key), after.get(key)))
        else:
            rows.append((after_key if before_key != "before" else "value", before, after))
    return rows


@router.get("/audit/entries/{seq}")
async def audit_entry(request: Request, session: Auditor, seq: Annotated[int, Path(ge=1, le=2**62)]) -> Response:
    entry = await request.app.state.backend.get(session, MONITORING, f"/v1/audit/entries/{seq}")
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    context = {
        "entry": entry,
        "changes": _changes(details),
        "details_json": json.dumps(details, indent=2, ensure_ascii=False, sort_keys=True),
        "previous_seq": seq - 1 if seq > 1 else None,
        "next_seq": seq + 1,
    }
    return render(request, "auditing/entry.html", context)


@router.get("/audit/verification")
async def audit_verification(request: Request, session: Auditor) -> Response:
    anchor_seq = (request.query_params.get("anchor_seq") or "").strip()
    anchor_hash = (request.query_params.get("anchor_hash") or "").strip().lower()
    errors: dict[str, str] = {}
    if anchor_seq and not (anchor_seq.isdigit() and int(anchor_seq) >= 1):
        errors["anchor_seq"] = "auditing.error_anchor_seq"
    if anchor_hash and (len(anchor_hash) != 64 or any(c not in "0123456789abcdef" for c in anchor_hash)):
        errors["anchor_hash"] = "auditing.error_anchor_hash"
    if bool(anchor_seq) != bool(anchor_hash) and not errors:
        errors["anchor_seq" if not anchor_seq else "anchor_hash"] = "auditing.error_anchor_pair"
    result = None
    detail = None
    if not errors:
        params = {"anchor_seq": anchor_seq, "anchor_hash": anchor_hash} if anchor_seq else {}
        try:
            result = await request.app.state.backend.get(session, MONITORING, "/v1/audit/verification", **params)
        except ApiError as exc:
            if exc.status not in (400, 422):
                raise
            detail = exc.detail or exc.title
    status = None
    if result is not None:
        if result.get("intact"):
            status = "intact"
        elif result.get("first_failure"):
            status = str(result["first_failure"].get("kind") or "broken")
        else:
            status = "anchor_mismatch"
    context = {
        "result": result,
        "status": status,
        "anchor_seq": anchor_seq,
        "anchor_hash": anchor_hash,
        "errors": errors,
        "detail": detail,
    }
    return render(request, "auditing/verification.html", context, status_code=422 if errors else 200)
