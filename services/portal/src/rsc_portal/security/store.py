"""Reading and writing the session cookie, refreshing the access token when it is about to expire."""

from __future__ import annotations

import logging
import time

from fastapi import Request
from starlette.responses import Response

from rsc_portal.security.cookies import CookieCodec, clear_chunked, read_chunked, write_chunked
from rsc_portal.security.oidc import KeycloakOidc, SignInError
from rsc_portal.security.session import PortalSession
from rsc_portal.settings import PortalSettings

SESSION_COOKIE = "rsc_session"
LOGIN_COOKIE = "rsc_login"
LOGIN_MAX_AGE = 600  # a sign-in at Keycloak must finish within ten minutes
logger = logging.getLogger(__name__)


class SessionStore:
    def __init__(self, settings: PortalSettings, oidc: KeycloakOidc) -> None:
        self._s = settings
        self._oidc = oidc
        secret = settings.session_secret.get_secret_value()
        self.session_codec = CookieCodec(secret, purpose="session")
        self.login_codec = CookieCodec(secret, purpose="login")

    async def load(self, request: Request) -> PortalSession | None:
        """The request's session, refreshed if its access token is about to expire; None when there is
        none, it was tampered with, it is older than the maximum age, or Keycloak ended it."""
        if "session" in request.state._state:
            return request.state.session
        session = self.peek(request)
        if session is not None and time.time() + self._s.refresh_margin_seconds >= session.access_expires_at:
            session = await self._refreshed(session)
            request.state.session_dirty = True
        request.state.session = session
        return session

    def peek(self, request: Request) -> PortalSession | None:
        """The cookie's session as it is (no refresh, never calls Keycloak): for the language, for instance."""
        sealed = read_chunked(request.cookies, SESSION_COOKIE)
        if not sealed:
            return None
        data = self.session_codec.open(sealed, max_age=self._s.session_max_age_seconds)
        session = PortalSession.from_dict(data) if data else None
        if session is None or time.time() - session.started_at > self._s.session_max_age_seconds:
            return None
        return session

    async def _refreshed(self, session: PortalSession) -> PortalSession | None:
        if not session.refresh_token:
            return None
        try:
            principal, tokens = await self._oidc.refresh(session.refresh_token)
        except SignInError as exc:
            logger.info("session of %s ended: %s", session.username, exc)
            return None
        renewed = PortalSession.from_tokens(principal, tokens, csrf=session.csrf)
        renewed.started_at = session.started_at
        return renewed

    def start(self, request: Request, session: PortalSession) -> None:
        request.state.session = session
        request.state.session_dirty = True

    def end(self, request: Request) -> None:
        request.state.session = None
        request.state.session_dirty = True

    def write(self, request: Request, response: Response) -> None:
        """Called once per response (middleware): persists a new, refreshed or ended session."""
        if not getattr(request.state, "session_dirty", False):
            return
        session: PortalSession | None = request.state.session
        if session is None:
            clear_chunked(response, request.cookies, SESSION_COOKIE, secure=self._s.cookie_secure)
            return
        remaining = int(session.started_at + self._s.session_max_age_seconds - time.time())
        write_chunked(
            response,
            request.cookies,
            SESSION_COOKIE,
            self.session_codec.seal(session.to_dict()),
            max_age=max(remaining, 1),
            secure=self._s.cookie_secure,
        )
