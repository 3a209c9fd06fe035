from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rsc_common.http import create_app
from rsc_monitoring.audit.views import router as audit_router
from rsc_monitoring.exercises.views import router as exercises_router
from rsc_monitoring.grants.views import router as grants_router
from rsc_monitoring.incidents.views import router as incidents_router
from rsc_monitoring.reporting.views import router as reports_router
from rsc_monitoring.settings import MonitoringSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: MonitoringSettings | None = None) -> FastAPI:
    return create_app(
        settings or MonitoringSettings(),
        title="RSC Monitoring",
        description="Post-award obligations, incidents, the tamper-evident audit log and national reporting.",
        routers=[incidents_router, grants_router, exercises_router, reports_router, audit_router],
        migrations_dir=MIGRATIONS,
    )
