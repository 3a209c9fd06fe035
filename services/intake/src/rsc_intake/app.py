from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rsc_common.http import create_app
from rsc_intake.attachments.views import router as attachments_router
from rsc_intake.calls.views import router as calls_router
from rsc_intake.organisations.views import router as organisations_router
from rsc_intake.proposals.views import router as proposals_router
from rsc_intake.questionnaires.views import router as questionnaires_router
from rsc_intake.safeguards.views import router as safeguards_router
from rsc_intake.settings import IntakeSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_app(
        settings or IntakeSettings(),
        title="RSC Intake",
        description="Applicant submissions with their research-security self-assessment.",
        routers=[
            calls_router,
            questionnaires_router,
            organisations_router,
            proposals_router,
            attachments_router,
            safeguards_router,
        ],
        migrations_dir=MIGRATIONS,
    )
