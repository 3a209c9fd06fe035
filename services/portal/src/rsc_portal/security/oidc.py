"""Keycloak OpenID Connect for a public client: authorisation code flow with PKCE (S256), refresh, and
a back-channel logout that ends the Keycloak session (so the next sign-in asks for the password again)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import httpx

from rsc_common.auth import AuthSettings, Principal, TokenVerifier
from rsc_common.auth.errors import AuthenticationError, AuthUnavailableError
from rsc_portal.settings import PortalSettings


class SignInError(Exception):
    """Keycloak refused a code or refresh token, or returned a token that does not verify."""


@dataclass(frozen=True)
class LoginAttempt:
    state: str
    nonce: str
    code_verifier: str
    next_path: str

    @property
    def code_challenge(self) -> str:
        digest = hashlib.sha256(self.code_verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    @classmethod
    def new(cls, next_path: str) -> LoginAttempt:
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(64), next_path)


class KeycloakOidc:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self._s = settings
        self._http = http
        issuer = f"{settings.keycloak_url}/realms/{settings.realm}"
        self._issuer = issuer
        self._endpoint = f"{issuer}/protocol/openid-connect"
        self._browser_endpoint = f"{settings.browser_keycloak_url}/realms/{settings.realm}/protocol/openid-connect"
        self.access_verifier = TokenVerifier(
            AuthSettings(keycloak_url=settings.keycloak_url, realm=settings.realm, audience=settings.api_audience)
        )

    def authorize_url(self, attempt: LoginAttempt, locale: str | None) -> str:
        params = {
            "client_id": self._s.client_id,
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": self._s.redirect_uri,
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": attempt.code_challenge,
            "code_challenge_method": "S256",
        }
        if locale:
            params["ui_locales"] = locale
        return f"{self._browser_endpoint}/auth?{urlencode(params)}"

    async def exchange_code(self, code: str, attempt: LoginAttempt) -> tuple[Principal, dict[str, Any]]:
        tokens = await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._s.redirect_uri,
                "client_id": self._s.client_id,
                "code_verifier": attempt.code_verifier,
            }
        )
        # The ID token came straight from the token endpoint on the back channel, so its origin is the
        # TLS peer (OIDC Core 3.1.3.7); what it must still prove is that it answers *this* attempt.
        id_claims = _payload(tokens.get("id_token", ""))
        if id_claims.get("aud") not in (self._s.client_id, [self._s.client_id]):
            raise SignInError("id token is for another client")
        if id_claims.get("nonce") != attempt.nonce:
            raise SignInError("id token nonce does not match the sign-in attempt")
        return await self._principal(tokens), tokens

    async def refresh(self, refresh_token: str) -> tuple[Principal, dict[str, Any]]:
        tokens = await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self._s.client_id}
        )
        return await self._principal(tokens), tokens

    async def logout(self, refresh_token: str) -> None:
        """Ends the Keycloak session (all its tokens) from the back channel; best effort."""
        if not refresh_token:
            return
        # on failure the cookie is cleared anyway; the Keycloak session then ends when it expires
        with contextlib.suppress(httpx.HTTPError):
            await self._http.post(
                f"{self._endpoint}/logout", data={"client_id": self._s.client_id, "refresh_token": refresh_token}
            )

    async def reachable(self) -> bool:
        """Keycloak answers for the realm (the portal's readiness: no one can sign in without it)."""
        try:
            response = await self._http.get(f"{self._issuer}/.well-known/openid-configuration", timeout=5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def _token_request(self, data: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.post(f"{self._endpoint}/token", data=data)
        except httpx.HTTPError as exc:
            raise SignInError(f"Keycloak unreachable: {exc}") from exc
        if response.status_code != 200:
            raise SignInError(f"Keycloak refused the request ({response.status_code}): {response.text[:200]}")
        return response.json()

    async def _principal(self, tokens: dict[str, Any]) -> Principal:
        # The access token is verified like the APIs verify it (signature, issuer, audience, expiry): the
        # portal shows only what the APIs will accept. JWKS fetches block, hence the thread.
        try:
            return await anyio.to_thread.run_sync(self.access_verifier.verify, tokens.get("access_token", ""))
        except (AuthenticationError, AuthUnavailableError) as exc:
            raise SignInError(f"access token refused: {exc}") from exc


def _payload(jwt: str) -> dict[str, Any]:
    try:
        part = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        raise SignInError("malformed id token") from None
    if not isinstance(claims, dict):
        raise SignInError("malformed id token")
    return claims
