"""Reporting-officer pages: the national report for a period (figures as tables, simple bar charts drawn
here as inline SVG) and its downloads (CSV, XLSX, JSON, PDF) passed through from monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rsc_portal.auditing.proxy import proxy_download
from rsc_portal.backend import ApiError
from rsc_portal.security.deps import ReportingOfficer
from rsc_portal.templating import render

router = APIRouter()

MONITORING = "monitoring"
REPORT = "/v1/reports/national"
FORMATS: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
}
# The report's breakdowns, in the order of the API's own renderings; charted ones get a bar chart.
BREAKDOWNS = (
    "by_risk_level", "by_critical_technology_area", "by_country_indicator_group", "by_partner_country",
    "red_flags_by_type", "safeguards_recommended", "safeguards_agreed", "verdicts", "incidents_by_type",
    "incidents_by_severity", "incidents_by_outcome", "measures_by_type",
)  # fmt: skip
CHARTED = frozenset({"by_risk_level", "by_critical_technology_area", "by_country_indicator_group", "verdicts",
                     "incidents_by_type", "incidents_by_severity"})  # fmt: skip
DURATIONS = ("time_to_grant_days", "added_appraisal_time_days")
KINDS = ("year", "biennium", "custom")

# Chart geometry (SVG user units; the SVG scales to the width available).
LABEL_WIDTH = 260
BAR_AREA = 360
VALUE_WIDTH = 90
ROW_HEIGHT = 28
BAR_HEIGHT = 18
MAX_BARS = 15


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    omitted: int  # bars beyond MAX_BARS (they are in the table)


def bar_chart(cells: list[dict[str, Any]]) -> Chart | None:
    """Horizontal bars for the cells that have a count (suppressed cells have none to draw)."""
    shown = [c for c in cells if c.get("count") is not None and not c.get("suppressed")]
    if not shown:
        return None
    top = max(int(c["count"]) for c in shown) or 1
    bars = [
        Bar(
            label=_shorten(str(c["key"])),
            count=int(c["count"]),
            y=i * ROW_HEIGHT,
            width=BAR_AREA * int(c["count"]) / top,
        )
        for i, c in enumerate(shown[:MAX_BARS])
    ]
    return Chart(
        bars=bars,
        width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        height=len(bars) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
        omitted=max(0, len(shown) - MAX_BARS),
    )


def _shorten(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _period(request: Request) -> tuple[dict[str, str], dict[str, Any], dict[str, str], bool]:
    """(form values, API period parameters, errors keyed by field, whether a period was asked for)."""
    q = request.query_params
    values = {name: (q.get(name) or "").strip() for name in ("kind", "year", "biennium", "from", "to")}
    asked = any(values.values())
    kind = values["kind"] if values["kind"] in KINDS else ""
    if not kind:  # a link with just ?year=2026 (or biennium, from/to) works too
        kind = "biennium" if values["biennium"] else "custom" if values["from"] or values["to"] else "year"
    values["kind"] = kind
    if not values["year"] and kind == "year":
        values["year"] = str(datetime.now(UTC).year)
    errors: dict[str, str] = {}
    params: dict[str, Any] = {}
    if kind in ("year", "biennium"):
        raw = values[kind]
        if raw.isdigit() and 2000 <= int(raw) <= 2100:
            params[kind] = int(raw)
        else:
            errors[kind] = "reporting.error_year"
    else:
        for name in ("from", "to"):
            try:
                params[name] = date.fromisoformat(values[name]).isoformat()
            except ValueError:
                errors[name] = "reporting.error_date"
        if not errors and params["from"] >= params["to"]:
            errors["to"] = "reporting.error_range"
    return values, params, errors, asked


def _query(params: dict[str, Any], **extra: Any) -> str:
    from urllib.parse import urlencode

    return urlencode({**params, **extra})


@router.get("/reports")
async def reports(request: Request, session: ReportingOfficer) -> Response:
    values, params, errors, asked = _period(request)
    report: dict[str, Any] | None = None
    detail = None
    api_errors: dict[str, str] = {}
    if asked and not errors:
        try:
            report = await request.app.state.backend.get(session, MONITORING, REPORT, **params, format="json")
        except ApiError as exc:
            if exc.status not in (400, 422):
                raise
            detail = exc.detail or exc.title
            api_errors = exc.field_errors()
    sections = []
    if report:
        for name in BREAKDOWNS:
            cells = report.get(name) or []
            sections.append(
                {
                    "name": name,
                    "cells": cells,
                    "chart": bar_chart(cells) if name in CHARTED else None,
                    "suppressed": sum(1 for c in cells if c.get("suppressed")),
                }
            )
    context = {
        "values": values,
        "errors": errors if asked else {},
        "api_errors": api_errors,
        "detail": detail,
        "report": report,
        "sections": sections,
        "durations": [(name, (report or {}).get(name) or {}) for name in DURATIONS],
        "downloads": [(fmt, "/reports/download?" + _query(params, format=fmt)) for fmt in FORMATS] if report else [],
        "this_year": datetime.now(UTC).year,
    }
    status = 422 if (asked and errors) or detail else 200
    return render(request, "reporting/report.html", context, status_code=status)


@router.get("/reports/download")
async def report_download(request: Request, session: ReportingOfficer, format: str = "csv") -> Response:
    if format not in FORMATS:
        raise ApiError(400, "Bad Request", f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    _values, params, errors, _asked = _period(request)
    if errors:
        raise ApiError(422, "Invalid period", ", ".join(sorted(errors)))
    return await proxy_download(
        request,
        session,
        MONITORING,
        REPORT,
        {**params, "format": format},
        fallback_name=f"national-report.{format}",
        expected_types=(FORMATS[format],),
    )
