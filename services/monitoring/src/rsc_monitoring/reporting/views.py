"""National reporting exports (reporting officers only)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from rsc_common.events import add_event
from rsc_common.events.types import ReportExported
from rsc_common.http import SessionDep
from rsc_monitoring.permissions import ReportingOfficer
from rsc_monitoring.reporting import render
from rsc_monitoring.reporting.period import resolve
from rsc_monitoring.reporting.queries import national_report

router = APIRouter(prefix="/v1/reports", tags=["national reporting"])


@router.get(
    "/national",
    summary="National statistics for a period: JSON, CSV, XLSX, HTML or PDF",
    responses={200: {"content": {media: {} for media, _ in render.FORMATS.values()}}},
)
async def national(
    request: Request,
    officer: ReportingOfficer,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    biennium: Annotated[int | None, Query(ge=2000, le=2100, description="First year of two.")] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to", description="Exclusive.")] = None,
    format: Literal["json", "csv", "xlsx", "html", "pdf"] = "json",
) -> Response:
    period = resolve(year, biennium, start, end)
    settings = request.app.state.settings
    report = await run_in_threadpool(
        national_report,
        request.app.state.engine,
        period,
        threshold=settings.report_suppression_threshold,
        parallelism=settings.report_parallelism,
    )
    media, renderer = render.FORMATS[format]
    body = await run_in_threadpool(renderer, report)

    def log() -> None:
        add_event(
            session,
            ReportExported(
                exported_by=officer.subject,
                period_from=period.start.isoformat(),
                period_to=period.end.isoformat(),
                format=format,
                proposals_screened=report["proposals_screened"],
                at=datetime.now(UTC),
            ),
            subject=f"report:{period.label}",
            source="rsc-monitoring",
        )
        session.commit()

    await run_in_threadpool(log)
    name = f"national-report-{period.label.replace(' ', '_')}.{format}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
