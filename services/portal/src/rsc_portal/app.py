"""The portal application: sign-in, session and CSRF plumbing, error pages, and the page routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException as StarletteHTTPException

from rsc_common.telemetry import configure_logging, configure_tracing
from rsc_portal.admin.views import router as admin_router
from rsc_portal.applicant.views import router as applicant_router
from rsc_portal.auditing.views import router as auditing_router
from rsc_portal.backend import ApiError, Backend
from rsc_portal.casework.views import router as casework_router
from rsc_portal.home import router as home_router
from rsc_portal.i18n import negotiate
from rsc_portal.inbox.views import router as inbox_router
from rsc_portal.incidents.views import router as incidents_router
from rsc_portal.reporting.views import router as reporting_router
from rsc_portal.security.csrf import verify_csrf
from rsc_portal.security.errors import CsrfRejected, Forbidden, SignInRequired
from rsc_portal.security.oidc import KeycloakOidc
from rsc_portal.security.store import SessionStore
from rsc_portal.security.views import router as signin_router
from rsc_portal.settings import DEV_SESSION_SECRET, PortalSettings
from rsc_portal.templating import render

STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "rsc_lang"
logger = logging.getLogger(__name__)
# Every page router; each is mounted with the CSRF check (it passes safe methods through).
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    signin_router, home_router, inbox_router, applicant_router, casework_router, incidents_router, auditing_router,
    reporting_router, admin_router,
)  # fmt: skip


def build_app(settings: PortalSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`transport` replaces the network for the APIs and Keycloak (unit tests of pages)."""
    settings = settings or PortalSettings()
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.json_logs)
    configure_tracing(settings.service_name, settings.telemetry)
    if settings.session_secret.get_secret_value() == DEV_SESSION_SECRET:
        logger.warning("the portal runs with the development session secret: set RSC_PORTAL_SESSION_SECRET")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.api_timeout_seconds, transport=transport) as http:
            app.state.oidc = KeycloakOidc(settings, http)
            app.state.sessions = SessionStore(settings, app.state.oidc)
            app.state.backend = Backend(settings, http)
            yield

    app = FastAPI(title="RSC portal", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, dependencies=[Depends(verify_csrf)])
    _install_error_pages(app)
    _install_request_hooks(app, settings)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,static", exclude_spans=["receive", "send"])

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        # Ready when Keycloak answers: without it no one can sign in (the APIs have their own probes).
        ok = await request.app.state.oidc.reachable()
        return JSONResponse({"status": "ready" if ok else "keycloak unreachable"}, status_code=200 if ok else 503)

    return app


def _install_request_hooks(app: FastAPI, settings: PortalSettings) -> None:
    form_action = f"'self' {settings.browser_keycloak_url}"
    csp = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    )

    @app.middleware("http")
    async def per_request(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.locale = _locale(request, settings)
        response: Response = await call_next(request)
        if "sessions" in app.state._state:
            app.state.sessions.write(request, response)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static"):
            response.headers["Cache-Control"] = "no-store"  # pages carry personal and confidential data
        return response


def _locale(request: Request, settings: PortalSettings) -> str:
    """Chosen language (cookie), else the user's Keycloak locale, else the browser's, else English."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in settings.languages:
        return chosen
    sessions = getattr(request.app.state, "sessions", None)
    session = sessions.peek(request) if sessions else None
    if session is not None and session.locale in settings.languages:
        return session.locale
    return negotiate(request.headers.get("accept-language"), settings.languages) or "en"


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = "/login?next=" + (request.url.path if request.method == "GET" else "/")
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "errors/error.html", {"code": 403, "message": "errors.forbidden"}, status_code=403)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return render(request, "errors/error.html", {"code": 403, "message": "errors.csrf"}, status_code=403)

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:
            request.app.state.sessions.end(request)
            return await _sign_in(request, SignInRequired())
        # 412/428: an If-Match precondition failed, i.e. the record changed since the page was shown
        status = 409 if exc.status in (412, 428) else exc.status
        status = status if status in (403, 404, 409, 503) else 502 if status >= 500 else 400
        context = {"code": status, "message": f"errors.http_{status}", "detail": exc.detail or exc.title}
        return render(request, "errors/error.html", context, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if exc.status_code in (403, 404, 405) else 400
        context = {"code": status, "message": f"errors.http_{status}", "detail": str(exc.detail or "")}
        return render(request, "errors/error.html", context, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        detail = "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in exc.errors()[:5])
        context = {"code": 400, "message": "errors.http_400", "detail": detail}
        return render(request, "errors/error.html", context, status_code=400)
