"""rsc_common.auth against the real Keycloak realm `rsc` (deploy/local/keycloak.sh)."""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from jwcrypto.jwk import JWK
from jwcrypto.jwt import JWT

from rsc_common.auth import (
    AuthenticationError,
    AuthSettings,
    AuthUnavailableError,
    Principal,
    RequireRoles,
    Role,
    ServiceTokenProvider,
    TokenVerifier,
)

pytestmark = pytest.mark.integration

KEYCLOAK_URL = os.environ.get("RSC_KEYCLOAK_URL", "http://127.0.0.1:18080")
ORG_A = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")


@pytest.fixture(scope="module")
def settings() -> AuthSettings:
    s = AuthSettings(keycloak_url=KEYCLOAK_URL)
    try:
        httpx.get(s.jwks_url, timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"Keycloak realm rsc not reachable at {KEYCLOAK_URL} (deploy/local/keycloak.sh): {exc}")
    return s


@pytest.fixture(scope="module")
def verifier(settings: AuthSettings) -> TokenVerifier:
    return TokenVerifier(settings)


def password_grant(settings: AuthSettings, user: str, **extra: str) -> dict[str, Any]:
    form = {"grant_type": "password", "client_id": "rsc-cli", "username": user, "password": user, **extra}
    response = httpx.post(settings.token_url, data=form, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def user_token(settings: AuthSettings, user: str) -> str:
    return password_grant(settings, user)["access_token"]


def decode_part(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def encode_part(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def client(verifier: TokenVerifier) -> TestClient:
    app = FastAPI()
    app.state.token_verifier = verifier

    @app.get("/cases")
    def cases(principal: Annotated[Principal, Depends(RequireRoles(Role.case_officer))]) -> dict[str, Any]:
        return {"username": principal.username}

    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- real tokens → Principal ----------------------------------------------------------------------


def test_applicant_principal(settings: AuthSettings, verifier: TokenVerifier) -> None:
    principal = verifier.verify(user_token(settings, "applicant-a"))
    assert principal.username == "applicant-a"
    assert principal.organisation_id == ORG_A
    assert principal.client_id == "rsc-cli"
    assert principal.email == "applicant-a@example.test"
    assert principal.locale == "en"
    assert principal.has_any(Role.applicant)
    assert not principal.has_any(Role.case_officer)
    assert not principal.is_service
    uuid.UUID(principal.subject)  # Keycloak user ids are UUIDs


def test_officer_principal(settings: AuthSettings, verifier: TokenVerifier) -> None:
    principal = verifier.verify(user_token(settings, "officer"))
    assert principal.has_any(Role.case_officer)
    assert principal.organisation_id is None


def test_no_role_principal(settings: AuthSettings, verifier: TokenVerifier) -> None:
    principal = verifier.verify(user_token(settings, "no-role"))
    assert principal.username == "no-role"
    assert not principal.has_any(*Role)


def test_id_and_refresh_tokens_are_not_access_tokens(settings: AuthSettings, verifier: TokenVerifier) -> None:
    grant = password_grant(settings, "officer", scope="openid")
    with pytest.raises(AuthenticationError):
        verifier.verify(grant["id_token"])
    with pytest.raises(AuthenticationError):  # HS512-signed by Keycloak
        verifier.verify(grant["refresh_token"])


# -- HTTP: 200 / 403 / 401 ------------------------------------------------------------------------


def test_officer_200(settings: AuthSettings, client: TestClient) -> None:
    response = client.get("/cases", headers=bearer(user_token(settings, "officer")))
    assert response.status_code == 200
    assert response.json() == {"username": "officer"}


@pytest.mark.parametrize("user", ["applicant-a", "no-role"])
def test_other_roles_403(settings: AuthSettings, client: TestClient, user: str) -> None:
    response = client.get("/cases", headers=bearer(user_token(settings, user)))
    assert response.status_code == 403
    assert response.json()["detail"] == "requires one of the roles: case_officer"


def test_no_token_401(client: TestClient) -> None:
    response = client.get("/cases")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_forged_token_with_real_kid_401(settings: AuthSettings, client: TestClient) -> None:
    real = user_token(settings, "officer")
    header, claims = decode_part(real.split(".")[0]), decode_part(real.split(".")[1])
    claims["realm_access"] = {"roles": ["case_officer", "admin"]}
    forged = JWT(header=header, claims=claims)
    forged.make_signed_token(JWK.generate(kty="RSA", size=2048))
    response = client.get("/cases", headers=bearer(forged.serialize()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == "invalid signature"


def test_expired_by_tampered_exp_401(settings: AuthSettings, client: TestClient) -> None:
    # Waiting out the 15-minute lifespan is impractical; an edited `exp` breaks the signature
    # (expiry itself is covered by the unit tests).
    header, payload, signature = user_token(settings, "officer").split(".")
    claims = decode_part(payload)
    claims["exp"] = claims["iat"] - 60
    response = client.get("/cases", headers=bearer(f"{header}.{encode_part(claims)}.{signature}"))
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid signature"


def test_made_up_kid_401(settings: AuthSettings, client: TestClient) -> None:
    claims = decode_part(user_token(settings, "officer").split(".")[1])
    forged = JWT(header={"alg": "RS256", "typ": "JWT", "kid": "made-up"}, claims=claims)
    forged.make_signed_token(JWK.generate(kty="RSA", size=2048))
    response = client.get("/cases", headers=bearer(forged.serialize()))
    assert response.status_code == 401
    assert response.json()["detail"] == "unknown signing key"


# -- service accounts -----------------------------------------------------------------------------


def test_service_token_is_a_service_principal(settings: AuthSettings, verifier: TokenVerifier) -> None:
    provider = ServiceTokenProvider(
        AuthSettings(keycloak_url=KEYCLOAK_URL, client_id="rsc-intake", client_secret="rsc-intake-dev-secret")
    )
    token = provider.token()
    assert provider.token() == token  # cached
    principal = verifier.verify(token)
    assert principal.is_service
    assert principal.client_id == "rsc-intake"
    assert provider.auth_header() == {"Authorization": f"Bearer {token}"}


def test_service_token_wrong_secret(settings: AuthSettings) -> None:
    provider = ServiceTokenProvider(
        AuthSettings(keycloak_url=KEYCLOAK_URL, client_id="rsc-intake", client_secret="wrong")
    )
    with pytest.raises(AuthUnavailableError, match="rsc-intake"):
        provider.token()
