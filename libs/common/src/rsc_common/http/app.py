"""The FastAPI application factory every service uses.

It wires what must be the same everywhere: settings validated at start, JSON logs and tracing,
RFC 9457 errors, request ids, health endpoints, offline token validation, and the refusal to
start on a database schema that is not at the migrations' head.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import Engine

from rsc_common.auth import TokenVerifier
from rsc_common.db import ensure_schema_at_head, make_engine
from rsc_common.http.health import database_check, kafka_check, temporal_check
from rsc_common.http.health import router as health_router
from rsc_common.http.problem import PROBLEM_RESPONSES, install_problem_handlers
from rsc_common.http.request_id import RequestIdMiddleware
from rsc_common.settings import ServiceSettings
from rsc_common.telemetry import configure_logging, configure_tracing


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    migrations_dir: Path,
    engine: Engine | None = None,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.json_logs)
    configure_tracing(settings.service_name, settings.telemetry)
    engine = engine or make_engine(
        str(settings.database_url), pool_size=settings.database_pool_size, application_name=settings.service_name
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ensure_schema_at_head(engine, migrations_dir)
        yield
        engine.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.token_verifier = token_verifier or TokenVerifier(settings.auth)
    checks = {
        "database": database_check(engine),
        "kafka": kafka_check(settings.kafka.bootstrap_servers),
    }
    if settings.uses_temporal:
        checks["temporal"] = temporal_check(settings.temporal.address, settings.temporal.namespace)
    app.state.readiness_checks = checks

    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health_router)
    for router in routers:
        app.include_router(router, responses=PROBLEM_RESPONSES)
    # One server span per request; the ASGI instrumentation's extra internal spans for every
    # `receive` and `send` message (three per request) are left out: they add CPU, not information.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz", exclude_spans=["receive", "send"])
    return app
