"""Client-credentials tokens for service-to-service calls, cached until shortly before expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from rsc_common.auth.errors import AuthUnavailableError
from rsc_common.auth.settings import AuthSettings

# Renew this long before `expires_in` runs out, so a token never expires in flight.
REFRESH_MARGIN_SECONDS = 30.0


class ServiceTokenProvider:
    """Thread-safe; one instance per process. ``http_client``/``clock`` exist for tests."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        timeout_seconds: float = 5.0,
    ) -> None:
        if not settings.client_id or settings.client_secret is None:
            raise ValueError("ServiceTokenProvider needs auth.client_id and auth.client_secret")
        self._settings = settings
        self._form = {
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret.get_secret_value(),
        }
        self._http = http_client
        self._clock = clock
        self._timeout = timeout_seconds
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def token(self) -> str:
        # Holding the lock while fetching: concurrent callers wait for one request instead of each
        # asking Keycloak for a token of their own.
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                self._token, expires_in = self._fetch()
                # Short-lived tokens (≤ 60 s) would otherwise never be cached: renew at half-life then.
                margin = min(REFRESH_MARGIN_SECONDS, expires_in / 2)
                self._renew_at = self._clock() + expires_in - margin
            return self._token

    def auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def invalidate(self) -> None:
        """Drop the cached token, e.g. after a downstream 401 (key rotation, revoked session)."""
        with self._lock:
            self._token = None

    def _fetch(self) -> tuple[str, float]:
        s = self._settings
        try:
            if self._http is not None:
                response = self._http.post(s.token_url, data=self._form, timeout=self._timeout)
            else:
                with httpx.Client(timeout=self._timeout) as client:
                    response = client.post(s.token_url, data=self._form)
        except httpx.HTTPError as exc:
            raise AuthUnavailableError("cannot reach Keycloak for a service token") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            # e.g. 401 invalid_client (wrong secret) or 400 unauthorized_client (no service account).
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise AuthUnavailableError(f"Keycloak refused a service token for {s.client_id}: {reason}")
        expires_in = body.get("expires_in")
        return body["access_token"], float(expires_in) if isinstance(expires_in, int | float) else 60.0
