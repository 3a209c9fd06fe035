"""Unit tests for rsc_common.auth: tokens signed locally with jwcrypto, no servers."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jwt import JWT
from pydantic_settings import BaseSettings, SettingsConfigDict

from rsc_common.auth import (
    AuthenticationError,
    AuthSettings,
    AuthUnavailableError,
    CurrentPrincipal,
    Principal,
    RequireRoles,
    Role,
    ServiceTokenProvider,
    TokenVerifier,
)

SETTINGS = AuthSettings()
ORG = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")


@pytest.fixture(scope="module")
def key() -> JWK:
    return JWK.generate(kty="RSA", size=2048, kid="kid-1", use="sig", alg="RS256")


@pytest.fixture(scope="module")
def other_key() -> JWK:
    # Same kid as `key`, different key material: a forger who copied the kid from a real token.
    return JWK.generate(kty="RSA", size=2048, kid="kid-1")


@pytest.fixture(scope="module")
def rotated_key() -> JWK:
    return JWK.generate(kty="RSA", size=2048, kid="kid-2", use="sig")


def keyset(*keys: JWK) -> JWKSet:
    s = JWKSet()
    for k in keys:
        s.add(k)
    return s


def public_jwks(*keys: JWK) -> dict[str, Any]:
    return {"keys": [k.export_public(as_dict=True) for k in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": SETTINGS.issuer,
        "aud": "rsc-api",
        "sub": "5f0c3a8e-0000-4000-8000-000000000001",
        "typ": "Bearer",
        "azp": "rsc-cli",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "officer",
        "email": "officer@example.test",
        "locale": "en",
        "organisation_id": str(ORG),
        "realm_access": {"roles": ["case_officer", "default-roles-rsc"]},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: JWK, alg: str = "RS256", kid: str | None = None, **claim_overrides: Any) -> str:
    header = {"alg": alg, "typ": "JWT", "kid": kid if kid is not None else key.get("kid")}
    token = JWT(header=header, claims=claims(**claim_overrides))
    token.make_signed_token(key)
    return token.serialize()


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeKeycloak:
    """JWKS endpoint behind an httpx.MockTransport; counts fetches."""

    def __init__(self, *keys: JWK) -> None:
        self.jwks = public_jwks(*keys)
        self.fetches = 0
        self.fail: Exception | int | None = None
        self._lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        assert str(request.url) == SETTINGS.jwks_url
        with self._lock:
            self.fetches += 1
        if isinstance(self.fail, Exception):
            raise self.fail
        if isinstance(self.fail, int):
            return httpx.Response(self.fail, text="boom")
        return httpx.Response(200, json=self.jwks)

    def verifier(self, clock: Callable[[], float], settings: AuthSettings = SETTINGS) -> TokenVerifier:
        return TokenVerifier(
            settings, http_client=httpx.Client(transport=httpx.MockTransport(self.handler)), clock=clock
        )


@pytest.fixture
def verifier(key: JWK) -> TokenVerifier:
    return TokenVerifier(SETTINGS, jwks=keyset(key))


def reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationError) as info:
        verifier.verify(token)
    return info.value.detail


# -- verification ---------------------------------------------------------------------------------


def test_valid_token_yields_principal(verifier: TokenVerifier, key: JWK) -> None:
    principal = verifier.verify(sign(key))
    assert principal == Principal(
        subject="5f0c3a8e-0000-4000-8000-000000000001",
        username="officer",
        roles=frozenset({"case_officer", "default-roles-rsc"}),
        organisation_id=ORG,
        client_id="rsc-cli",
        email="officer@example.test",
        locale="en",
    )
    assert principal.has_any(Role.case_officer, Role.admin)
    assert not principal.has_any(Role.admin)
    assert not principal.is_service


def test_principal_tolerates_odd_claims(verifier: TokenVerifier, key: JWK) -> None:
    principal = verifier.verify(
        sign(key, organisation_id="not-a-uuid", realm_access={"roles": ["service", 7]}, email=None, locale=None)
    )
    assert principal.organisation_id is None
    assert principal.roles == frozenset({"service"})
    assert principal.is_service
    assert principal.email is None
    assert principal.locale is None
    assert verifier.verify(sign(key, realm_access=None)).roles == frozenset()


def test_expired_token(verifier: TokenVerifier, key: JWK) -> None:
    now = int(time.time())
    assert reason(verifier, sign(key, iat=now - 1000, exp=now - 100)) == "token expired"


def test_leeway_accepts_slightly_expired_token(verifier: TokenVerifier, key: JWK) -> None:
    now = int(time.time())
    assert verifier.verify(sign(key, exp=now - 5)).username == "officer"


def test_token_without_exp(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, exp=None)) == "token has no expiry"


def test_not_yet_valid(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, nbf=int(time.time()) + 600)) == "token not yet valid"


def test_wrong_issuer(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, iss="http://127.0.0.1:18080/realms/master")) == "wrong issuer"


def test_wrong_audience(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, aud="account")) == "wrong audience"
    assert reason(verifier, sign(key, aud=["account", "rsc-api-x"])) == "wrong audience"
    assert reason(verifier, sign(key, aud=None)) == "wrong audience"


def test_audience_list_containing_ours(verifier: TokenVerifier, key: JWK) -> None:
    assert verifier.verify(sign(key, aud=["account", "rsc-api"])).subject


def test_id_token_is_not_a_bearer_token(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, typ="ID")) == "not an access token"


def test_missing_subject(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, sub=None)) == "token has no subject"


def test_forged_signature_same_kid(verifier: TokenVerifier, other_key: JWK) -> None:
    assert reason(verifier, sign(other_key, kid="kid-1")) == "invalid signature"


def test_tampered_payload(verifier: TokenVerifier, key: JWK) -> None:
    header, _, signature = sign(key).split(".")
    forged = f"{header}.{b64(claims(realm_access={'roles': ['admin']}))}.{signature}"
    assert reason(verifier, forged) == "invalid signature"


def test_alg_none_rejected(verifier: TokenVerifier) -> None:
    token = f"{b64({'alg': 'none', 'kid': 'kid-1'})}.{b64(claims())}."
    assert reason(verifier, token) == "unsupported token algorithm 'none'"


def test_hs256_rejected(verifier: TokenVerifier, key: JWK) -> None:
    # Algorithm confusion: HMAC keyed with the (public) RSA key material.
    hmac_key = JWK(kty="oct", k=b64({"n": key.export_public(as_dict=True)["n"]}), kid="kid-1")
    assert reason(verifier, sign(hmac_key, alg="HS256")) == "unsupported token algorithm 'HS256'"


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "a.b.c.d", "e30.e30.", "Bearer x.y.z"])
def test_malformed_tokens(verifier: TokenVerifier, token: str) -> None:
    assert reason(verifier, token) in {"malformed token", "unsupported token algorithm None"}


def test_token_without_kid(verifier: TokenVerifier, key: JWK) -> None:
    assert reason(verifier, sign(key, kid="")) == "token has no key id"


def test_static_keyset_never_fetches(verifier: TokenVerifier, rotated_key: JWK) -> None:
    # No http_client and nothing listening would raise AuthUnavailableError if it tried.
    assert reason(verifier, sign(rotated_key)) == "unknown signing key"


# -- JWKS fetching, refresh and rate limit --------------------------------------------------------


def test_jwks_fetched_once_and_cached(key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    for _ in range(5):
        v.verify(sign(key))
    assert kc.fetches == 1


def test_unknown_kid_refetches_once_then_rate_limited(key: JWK, rotated_key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    v.verify(sign(key))
    assert kc.fetches == 1
    # Right after the initial fetch an unknown kid does not refetch: the rate limit applies to all fetches.
    assert reason(v, sign(rotated_key, kid="made-up")) == "unknown signing key"
    assert kc.fetches == 1

    clock.now += 10
    forged = sign(rotated_key, kid="made-up")
    assert reason(v, forged) == "unknown signing key"
    assert kc.fetches == 2  # exactly one refetch

    clock.now += 5  # within jwks_min_refresh_seconds (10): no more fetches, whatever the kid
    for i in range(10):
        assert reason(v, sign(rotated_key, kid=f"made-up-{i}")) == "unknown signing key"
    assert kc.fetches == 2
    assert v.verify(sign(key)).subject  # known keys keep working

    clock.now += 6
    assert reason(v, forged) == "unknown signing key"
    assert kc.fetches == 3


def test_key_rotation_picked_up_by_refetch(key: JWK, rotated_key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    v.verify(sign(key))
    kc.jwks = public_jwks(rotated_key)  # Keycloak rotated its key
    clock.now += 60
    assert v.verify(sign(rotated_key)).subject
    assert kc.fetches == 2
    assert reason(v, sign(key)) == "unknown signing key"  # retired key dropped with the refresh


def test_concurrent_unknown_kid_fetches_once(key: JWK, rotated_key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    v.verify(sign(key))
    clock.now += 30
    forged = sign(rotated_key, kid="made-up")

    def attempt(_: int) -> str:
        with pytest.raises(AuthenticationError) as info:
            v.verify(forged)
        return info.value.detail

    with ThreadPoolExecutor(max_workers=16) as pool:
        assert set(pool.map(attempt, range(64))) == {"unknown signing key"}
    assert kc.fetches == 2


def test_encryption_keys_in_jwks_are_ignored(key: JWK) -> None:
    enc = JWK.generate(kty="RSA", size=2048, kid="enc-1", use="enc", alg="RSA-OAEP")
    kc, clock = FakeKeycloak(key, enc), FakeClock()
    v = kc.verifier(clock)
    v.verify(sign(key))
    signer = JWK(**{**enc.export_private(as_dict=True), "use": "sig", "alg": "RS256"})
    assert reason(v, sign(signer, kid="enc-1")) == "unknown signing key"


def test_keycloak_unreachable_is_unavailable(key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    kc.fail = httpx.ConnectError("connection refused")
    v = kc.verifier(clock)
    with pytest.raises(AuthUnavailableError):
        v.verify(sign(key))
    with pytest.raises(AuthUnavailableError):  # rate-limited retry: still unavailable, no new fetch
        v.verify(sign(key))
    assert kc.fetches == 1
    kc.fail = None
    clock.now += 10
    assert v.verify(sign(key)).subject
    assert kc.fetches == 2


@pytest.mark.parametrize("failure", [500, 404])
def test_keycloak_http_error_is_unavailable(key: JWK, failure: int) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    kc.fail = failure
    with pytest.raises(AuthUnavailableError):
        kc.verifier(clock).verify(sign(key))


def test_bad_signature_never_refetches(key: JWK, other_key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    v.verify(sign(key))
    clock.now += 100
    assert reason(v, sign(other_key, kid="kid-1")) == "invalid signature"
    assert kc.fetches == 1


# -- cache of verified tokens ---------------------------------------------------------------------


def count_signature_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every real (jwcrypto) signature verification."""
    import jwcrypto.jws

    calls: list[str] = []
    original = jwcrypto.jws.JWS.verify

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("verify")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(jwcrypto.jws.JWS, "verify", counting)
    return calls


def test_a_repeated_token_is_verified_once(key: JWK, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = count_signature_checks(monkeypatch)
    v = TokenVerifier(SETTINGS, jwks=keyset(key))
    token = sign(key)
    assert v.cached(token) is None
    first = v.verify(token)
    assert v.cached(token) is first
    assert all(v.verify(token) is first for _ in range(5))
    assert checks == ["verify"]
    v.verify(sign(key, sub="someone-else"))
    assert checks == ["verify", "verify"]  # another token is verified in full


def test_a_changed_token_is_never_taken_from_the_cache(verifier: TokenVerifier, key: JWK) -> None:
    token = sign(key)
    verifier.verify(token)
    header, _payload, signature = token.split(".")
    tampered = ".".join([header, b64(claims(realm_access={"roles": ["admin"]})), signature])
    assert verifier.cached(tampered) is None
    assert reason(verifier, tampered) == "invalid signature"


def test_a_cached_token_expires_with_the_token(key: JWK, monkeypatch: pytest.MonkeyPatch) -> None:
    v = TokenVerifier(SETTINGS, jwks=keyset(key))
    now = time.time()
    token = sign(key, exp=int(now) + 60)
    v.verify(token)
    monkeypatch.setattr(time, "time", lambda: now + 60 + SETTINGS.leeway_seconds + 1)
    assert v.cached(token) is None
    assert reason(v, token) == "token expired"


def test_failures_are_not_cached(verifier: TokenVerifier, key: JWK, other_key: JWK) -> None:
    forged = sign(other_key, kid="kid-1")
    for _ in range(2):
        assert reason(verifier, forged) == "invalid signature"
        assert verifier.cached(forged) is None


def test_the_cache_is_bounded(key: JWK, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = count_signature_checks(monkeypatch)
    v = TokenVerifier(SETTINGS.model_copy(update={"token_cache_size": 2}), jwks=keyset(key))
    a, b, c = (sign(key, sub=f"user-{i}") for i in range(3))
    for token in (a, b, a, c):  # c pushes out the least recently used: b
        v.verify(token)
    assert v.cached(a) is not None
    assert v.cached(c) is not None
    assert v.cached(b) is None
    assert len(checks) == 3


def test_a_cache_size_of_zero_verifies_every_time(key: JWK, monkeypatch: pytest.MonkeyPatch) -> None:
    checks = count_signature_checks(monkeypatch)
    v = TokenVerifier(SETTINGS.model_copy(update={"token_cache_size": 0}), jwks=keyset(key))
    token = sign(key)
    for _ in range(3):
        v.verify(token)
    assert v.cached(token) is None
    assert len(checks) == 3


def test_a_key_set_change_empties_the_cache(key: JWK, rotated_key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    token = sign(key)
    v.verify(token)
    kc.jwks = public_jwks(rotated_key)  # the key that signed `token` is retired
    v.refresh_keys()
    assert v.cached(token) is None
    assert reason(v, token) == "unknown signing key"


def test_a_refresh_with_the_same_keys_keeps_the_cache(key: JWK) -> None:
    kc, clock = FakeKeycloak(key), FakeClock()
    v = kc.verifier(clock)
    token = sign(key)
    principal = v.verify(token)
    v.refresh_keys()
    assert kc.fetches == 2
    assert v.cached(token) is principal


# -- FastAPI dependencies -------------------------------------------------------------------------


def make_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    app.state.token_verifier = verifier

    @app.get("/me")
    def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"sub": principal.subject, "roles": sorted(principal.roles)}

    @app.get("/admin")
    def admin(principal: Annotated[Principal, Depends(RequireRoles(Role.admin))]) -> dict[str, str]:
        return {"sub": principal.subject}

    @app.get("/staff")
    def staff(
        principal: Annotated[Principal, Depends(RequireRoles(Role.case_officer, Role.admin))],
    ) -> dict[str, str]:
        return {"sub": principal.subject}

    return app


@pytest.fixture
def client(verifier: TokenVerifier) -> TestClient:
    return TestClient(make_app(verifier))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_401(client: TestClient) -> None:
    response = client.get("/staff")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"] == "missing bearer token"


def test_basic_auth_is_not_a_bearer_token(client: TestClient) -> None:
    response = client.get("/me", headers={"Authorization": "Basic b2ZmaWNlcjpvZmZpY2Vy"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"exp": 1_000_000}, "token expired"),
        ({"aud": "account"}, "wrong audience"),
    ],
)
def test_invalid_token_401(client: TestClient, key: JWK, overrides: dict[str, Any], detail: str) -> None:
    response = client.get("/me", headers=bearer(sign(key, **overrides)))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == detail


def test_forged_token_401(client: TestClient, other_key: JWK) -> None:
    response = client.get("/me", headers=bearer(sign(other_key, kid="kid-1")))
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid signature"


def test_wrong_role_403(client: TestClient, key: JWK) -> None:
    response = client.get("/admin", headers=bearer(sign(key)))
    assert response.status_code == 403
    assert response.json()["detail"] == "requires one of the roles: admin"


def test_right_role_200(client: TestClient, key: JWK) -> None:
    response = client.get("/staff", headers=bearer(sign(key)))
    assert response.status_code == 200
    assert response.json() == {"sub": "5f0c3a8e-0000-4000-8000-000000000001"}
    admin = sign(key, realm_access={"roles": ["admin"]})
    assert client.get("/admin", headers=bearer(admin)).status_code == 200
    assert client.get("/staff", headers=bearer(admin)).status_code == 200
    assert client.get("/me", headers=bearer(admin)).json()["roles"] == ["admin"]


def test_keycloak_down_503(key: JWK) -> None:
    kc = FakeKeycloak(key)
    kc.fail = httpx.ConnectError("connection refused")
    client = TestClient(make_app(kc.verifier(FakeClock())))
    response = client.get("/me", headers=bearer(sign(key)))
    assert response.status_code == 503


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        RequireRoles()


# -- service tokens -------------------------------------------------------------------------------


class FakeTokenEndpoint:
    def __init__(self, expires_in: int = 300) -> None:
        self.expires_in = expires_in
        self.requests: list[dict[str, str]] = []
        self.status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        self.requests.append(form)
        if self.status != 200:
            return httpx.Response(self.status, json={"error": "invalid_client", "error_description": "bad secret"})
        n = len(self.requests)
        return httpx.Response(200, json={"access_token": f"tok-{n}", "expires_in": self.expires_in})


SERVICE_SETTINGS = AuthSettings(client_id="rsc-intake", client_secret="s3cret")


def provider(endpoint: FakeTokenEndpoint, clock: FakeClock) -> ServiceTokenProvider:
    http = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    return ServiceTokenProvider(SERVICE_SETTINGS, http_client=http, clock=clock)


def test_service_token_cached_until_30s_before_expiry() -> None:
    endpoint, clock = FakeTokenEndpoint(expires_in=300), FakeClock()
    p = provider(endpoint, clock)
    assert p.token() == "tok-1"
    assert endpoint.requests == [
        {"grant_type": "client_credentials", "client_id": "rsc-intake", "client_secret": "s3cret"}
    ]
    clock.now += 269
    assert p.auth_header() == {"Authorization": "Bearer tok-1"}
    clock.now += 1
    assert p.token() == "tok-2"
    p.invalidate()
    assert p.token() == "tok-3"


def test_service_token_concurrent_callers_share_one_request() -> None:
    endpoint, clock = FakeTokenEndpoint(), FakeClock()
    p = provider(endpoint, clock)
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(lambda _: p.token(), range(32))) == {"tok-1"}
    assert len(endpoint.requests) == 1


def test_service_token_refused() -> None:
    endpoint = FakeTokenEndpoint()
    endpoint.status = 401
    with pytest.raises(AuthUnavailableError, match="bad secret"):
        provider(endpoint, FakeClock()).token()


def test_service_token_keycloak_down() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    p = ServiceTokenProvider(SERVICE_SETTINGS, http_client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(AuthUnavailableError):
        p.token()


def test_service_token_needs_credentials() -> None:
    with pytest.raises(ValueError, match="client_id"):
        ServiceTokenProvider(AuthSettings())


# -- settings -------------------------------------------------------------------------------------


def test_settings_urls() -> None:
    s = AuthSettings(keycloak_url="https://sso.example.test/", realm="rsc")
    assert s.issuer == "https://sso.example.test/realms/rsc"
    assert s.jwks_url == "https://sso.example.test/realms/rsc/protocol/openid-connect/certs"


def test_settings_nested_in_service_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    class IntakeSettings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="RSC_INTAKE_", env_nested_delimiter="__")
        auth: AuthSettings = AuthSettings()

    monkeypatch.setenv("RSC_INTAKE_AUTH__CLIENT_ID", "rsc-intake")
    monkeypatch.setenv("RSC_INTAKE_AUTH__CLIENT_SECRET", "rsc-intake-dev-secret")
    monkeypatch.setenv("RSC_INTAKE_AUTH__KEYCLOAK_URL", "http://kc:8080")
    auth = IntakeSettings().auth
    assert auth.client_id == "rsc-intake"
    assert auth.client_secret is not None
    assert auth.client_secret.get_secret_value() == "rsc-intake-dev-secret"
    assert auth.issuer == "http://kc:8080/realms/rsc"
    assert "rsc-intake-dev-secret" not in repr(auth)
