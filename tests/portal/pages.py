"""Page tests without servers: the portal app with a signed-in session cookie (made here, not by Keycloak)
and the four APIs replaced by a handler that records every call and answers like the API would."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi.testclient import TestClient

from rsc_portal.app import build_app
from rsc_portal.security.cookies import CookieCodec
from rsc_portal.security.session import PortalSession
from rsc_portal.security.store import SESSION_COOKIE
from rsc_portal.settings import DEV_SESSION_SECRET, PortalSettings

SETTINGS = PortalSettings(cookie_secure=False, public_url="http://testserver")
ORGANISATION_ID = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeApis:
    """Answers `(method, service, path)` from `routes`; records every request in `calls`."""

    routes: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)

    def on(self, method: str, service: str, path: str, response: Any) -> None:
        """`response`: JSON body (200), an httpx.Response, or a callable(request) -> httpx.Response."""
        self.routes[(method, service, path)] = response

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        service = {
            SETTINGS.intake_url: "intake", SETTINGS.appraisal_url: "appraisal",
            SETTINGS.monitoring_url: "monitoring", SETTINGS.notifications_url: "notifications",
        }.get(f"{request.url.scheme}://{request.url.netloc.decode()}", "other")  # fmt: skip
        answer = self.routes.get((request.method, service, request.url.path))
        if answer is None:
            return httpx.Response(
                404, json={"title": "Not Found", "status": 404, "detail": f"no fake for {request.url}"}
            )
        if callable(answer):
            return answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)

    def sent(self, method: str, path: str) -> list[dict[str, Any]]:
        """JSON bodies sent with `method` to `path` (any service)."""
        return [json.loads(r.content or b"null") for r in self.calls if r.method == method and r.url.path == path]


def session_cookie(roles: list[str], *, username: str = "tester", organisation_id: str | None = ORGANISATION_ID) -> str:
    session = PortalSession(
        subject=str(uuid.uuid4()), username=username, roles=roles, organisation_id=organisation_id, locale=None,
        access_token="test-access-token", refresh_token="test-refresh-token",
        access_expires_at=time.time() + 3600, refresh_expires_at=time.time() + 3600,
    )  # fmt: skip
    return CookieCodec(DEV_SESSION_SECRET, purpose="session").seal(session.to_dict())


@contextmanager
def portal(
    roles: list[str] | None, apis: FakeApis | None = None, **session_kw: Any
) -> Iterator[tuple[TestClient, FakeApis]]:
    """A TestClient signed in with `roles` (None: signed out). Forms need the CSRF token: `csrf(client)`."""
    apis = apis or FakeApis()
    app = build_app(SETTINGS, transport=httpx.MockTransport(apis.handler))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        if roles is not None:
            client.cookies.set(f"{SESSION_COOKIE}.0", session_cookie(roles, **session_kw))
        yield client, apis


def csrf(client: TestClient) -> str:
    """The session's CSRF token, as pages embed it."""
    sealed = client.cookies.get(f"{SESSION_COOKIE}.0")
    data = CookieCodec(DEV_SESSION_SECRET, purpose="session").open(sealed, max_age=86400)
    return data["csrf"]
