from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rsc_common.http import create_app
from rsc_intake.calls.views import router as calls_router
from rsc_intake.organisations.views import router as organisations_router
from rsc_intake.settings import IntakeSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_app(
        settings or IntakeSettings(),
        title="RSC Intake",
        description="Applicant submissions with their research-security self-assessment.",
        routers=[calls_router, organisations_router],
        migrations_dir=MIGRATIONS,
    )
