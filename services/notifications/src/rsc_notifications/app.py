from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rsc_common.http import create_app
from rsc_notifications.inbox.views import router as inbox_router
from rsc_notifications.preferences.views import router as preferences_router
from rsc_notifications.settings import NotificationsSettings
from rsc_notifications.webhooks.views import router as webhooks_router

MIGRATIONS = Path(__file__).parent / "migrations"


def build_app(settings: NotificationsSettings | None = None) -> FastAPI:
    return create_app(
        settings or NotificationsSettings(),
        title="RSC Notifications",
        description="E-mail, in-app inbox and signed webhooks, driven by domain events.",
        routers=[inbox_router, preferences_router, webhooks_router],
        migrations_dir=MIGRATIONS,
    )
