from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rsc_appraisal.calls.views import router as calls_router
from rsc_appraisal.cases.views import router as cases_router
from rsc_appraisal.organisations.views import router as organisations_router
from rsc_appraisal.references.views import router as references_router
from rsc_appraisal.screenings.views import router as screenings_router
from rsc_appraisal.settings import AppraisalSettings
from rsc_common.http import create_app

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: AppraisalSettings | None = None) -> FastAPI:
    return create_app(
        settings or AppraisalSettings(),
        title="RSC Appraisal",
        description="Research-security screening, officer review, safeguards and time-to-grant SLAs.",
        routers=[calls_router, cases_router, screenings_router, organisations_router, references_router],
        migrations_dir=MIGRATIONS,
    )
