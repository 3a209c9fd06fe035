"""The portal's own security: sealed cookies, CSRF on every state-changing route, no open redirects,
headers, and what a signed-out or wrong-role user gets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import ValidationError

from rsc_portal.app import build_app
from rsc_portal.security.cookies import CHUNK, CookieCodec, read_chunked, write_chunked
from rsc_portal.security.csrf import SAFE_METHODS, verify_csrf
from rsc_portal.security.oidc import LoginAttempt
from rsc_portal.security.views import safe_next
from rsc_portal.settings import DEV_SESSION_SECRET, PortalSettings
from tests.portal.pages import SETTINGS, csrf, portal


def test_sealed_cookies_round_trip_and_refuse_tampering_other_purposes_and_age() -> None:
    codec = CookieCodec("s" * 40, purpose="session")
    sealed = codec.seal({"a": 1, "token": "secret-value"})
    assert "secret-value" not in sealed
    assert codec.open(sealed, max_age=60) == {"a": 1, "token": "secret-value"}
    tampered = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    assert codec.open(tampered, max_age=60) is None
    assert CookieCodec("s" * 40, purpose="login").open(sealed, max_age=60) is None
    assert CookieCodec("t" * 40, purpose="session").open(sealed, max_age=60) is None
    assert codec.open(sealed, max_age=-1) is None  # older than the maximum age


def test_a_long_session_is_split_over_cookies_and_read_back() -> None:
    from starlette.responses import Response

    value = "x" * (CHUNK * 2 + 10)
    response = Response()
    write_chunked(response, {}, "rsc_session", value, max_age=60, secure=True)
    set_cookies = response.headers.getlist("set-cookie")
    assert len(set_cookies) == 3
    assert all("HttpOnly" in c and "Secure" in c and "SameSite=lax" in c for c in set_cookies)
    jar = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";", 1)[0] for c in set_cookies}
    assert read_chunked(jar, "rsc_session") == value


def test_pkce_challenge_is_the_s256_of_the_verifier() -> None:
    import base64
    import hashlib

    attempt = LoginAttempt.new("/cases")
    expected = base64.urlsafe_b64encode(hashlib.sha256(attempt.code_verifier.encode()).digest()).rstrip(b"=")
    assert attempt.code_challenge == expected.decode()
    assert len(attempt.code_verifier) >= 43  # RFC 7636: 43 to 128 characters
    assert LoginAttempt.new("/").state != attempt.state


@pytest.mark.parametrize(
    ("asked", "safe"),
    [("/cases/1", "/cases/1"), ("https://evil.example/", "/"), ("//evil.example", "/"), ("/\\evil", "/"),
     (None, "/"), ("cases", "/")],
)  # fmt: skip
def test_next_is_only_ever_a_path_of_the_portal(asked: str | None, safe: str) -> None:
    assert safe_next(asked) == safe


def page_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    """(path, methods, dependant) of every route, through the routers FastAPI keeps included as such."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for c in contexts() if callable(contexts) else contexts:
                yield c.path, set(c.methods or ()), c.dependant
        elif isinstance(route, APIRoute):
            yield route.path, set(route.methods), route.dependant


def test_every_state_changing_route_checks_the_csrf_token() -> None:
    unsafe = [(p, m, d) for p, m, d in page_routes(build_app(SETTINGS)) if m - SAFE_METHODS]
    assert len(unsafe) > 1
    for path, methods, dependant in unsafe:
        assert verify_csrf in [d.call for d in dependant.dependencies], f"{path} {methods} has no CSRF check"


def test_forms_need_the_session_csrf_token_in_the_field_or_the_htmx_header() -> None:
    with portal(["auditor"]) as (client, _):
        assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
        assert client.post("/logout").status_code == 403
        ok = client.post("/logout", headers={"X-CSRF-Token": csrf(client)})
        assert ok.status_code == 303
        assert ok.headers["location"] == "/?signed_out=1"


def test_signed_out_users_are_sent_to_sign_in_and_htmx_is_told_to_redirect() -> None:
    with portal(None) as (client, _):
        page = client.get("/account")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/account"
        partial = client.get("/account", headers={"HX-Request": "true"})
        assert partial.headers["HX-Redirect"] == "/login?next=/account"
        login = client.get("/login?next=/account")
        assert login.headers["location"].startswith("http://127.0.0.1:18080/realms/rsc/protocol/openid-connect/auth?")
        assert "code_challenge_method=S256" in login.headers["location"]
        assert login.cookies.get("rsc_login")  # the attempt (state, verifier) sealed in a short-lived cookie


def test_pages_for_other_roles_are_forbidden_and_headers_are_strict() -> None:
    with portal(["applicant"]) as (client, _):
        page = client.get("/audit")
        assert page.status_code == 403
        assert "not available to your role" in page.text
        headers = client.get("/account").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"


def test_the_language_follows_the_choice_then_the_browser() -> None:
    with portal(["applicant"]) as (client, _):
        assert "Mon compte" in client.get("/account", headers={"Accept-Language": "fr-BE,fr;q=0.9"}).text
        switched = client.get("/language?lang=de&next=/account")
        assert switched.headers["location"] == "/account"
        client.cookies.set("rsc_lang", switched.cookies["rsc_lang"])
        assert "Mein Konto" in client.get("/account", headers={"Accept-Language": "fr"}).text
        assert client.get("/language?lang=xx&next=https://evil.example").headers["location"] == "/"


def test_a_short_session_secret_is_refused() -> None:
    with pytest.raises(ValidationError):
        PortalSettings(session_secret="short")


def test_a_session_older_than_a_working_day_is_signed_out() -> None:
    codec = CookieCodec(DEV_SESSION_SECRET, purpose="session")
    with portal(["applicant"]) as (client, _):
        assert client.get("/account").status_code == 200
        data = codec.open(client.cookies.get("rsc_session.0"), max_age=60)
        data["started_at"] = time.time() - SETTINGS.session_max_age_seconds - 1  # tokens still valid
        client.cookies.set("rsc_session.0", codec.seal(data))
        assert client.get("/account").status_code == 303


def test_the_navigation_shows_the_unread_count_and_a_stale_form_gets_the_changed_page() -> None:
    with portal(["applicant"]) as (client, apis):
        assert 'hx-get="/inbox/unread-count?badge=1"' in client.get("/account").text
        apis.on("GET", "notifications", "/v1/inbox/unread-count", {"unread": 3})
        badge = client.get("/inbox/unread-count?badge=1")
        assert 'data-testid="nav-unread">3' in badge.text
        apis.on("GET", "notifications", "/v1/inbox/unread-count", {"unread": 0})
        assert "nav-unread" not in client.get("/inbox/unread-count?badge=1").text
        apis.on("GET", "notifications", "/v1/inbox", httpx.Response(412, json={"title": "Precondition Failed"}))
        stale = client.get("/inbox")
        assert stale.status_code == 409
        assert "changed in the meantime" in stale.text
