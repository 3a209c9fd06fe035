"""Sign-in on the real Keycloak through a real browser: authorisation code + PKCE, the session cookie's
attributes, refresh, CSRF, and a logout that ends the Keycloak session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from tests.support.browser import chromium, sign_in, sign_out
from tests.support.servers import KEYCLOAK_URL, free_port
from tests.support.stack import process, wait_ready
from tests.support.workers import BIN


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The portal alone (the pages here need no API). Its access tokens are refreshed on every request
    (a refresh margin longer than their life), so each page proves the refresh against Keycloak."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "RSC_PORTAL_HTTP_PORT": str(port),
        "RSC_PORTAL_PUBLIC_URL": url,
        "RSC_PORTAL_KEYCLOAK_URL": KEYCLOAK_URL,
        "RSC_PORTAL_REFRESH_MARGIN_SECONDS": "100000",
    }
    log = tmp_path_factory.mktemp("portal") / "portal.log"
    with process([str(BIN / "rsc-portal"), "api"], env, log) as proc:
        wait_ready(url, proc, log)
        yield url


def test_sign_in_with_pkce_returns_to_the_page_asked_for(portal_url: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{portal_url}/account")
        page.wait_for_url("**/realms/rsc/protocol/openid-connect/auth**")
        authorize = parse_qs(urlparse(page.url).query)
        assert authorize["code_challenge_method"] == ["S256"]
        assert len(authorize["code_challenge"][0]) == 43
        assert authorize["redirect_uri"] == [f"{portal_url}/auth/callback"]
        page.fill("#username", "officer")
        page.fill("#password", "officer")
        page.click("#kc-login")
        page.wait_for_url(f"{portal_url}/account")
        assert "Signed in as officer" in page.locator(".who").inner_text()
        # the code came back to the portal, the tokens never reached the browser
        assert any(u.startswith(f"{portal_url}/auth/callback?") for u in requests)
        cookies = {c["name"]: c for c in page.context.cookies(portal_url)}
        session = cookies["rsc_session.0"]
        assert session["httpOnly"]
        assert session["secure"]
        assert session["sameSite"] == "Lax"
        assert "eyJ" not in session["value"]  # encrypted: no JWT readable in it
        # the officer's navigation, not the applicant's
        nav = page.get_by_role("navigation", name="Main navigation")
        assert nav.get_by_role("link", name="Case queue").is_visible()
        assert nav.get_by_role("link", name="My proposals").count() == 0
        # every page view refreshed the token (margin > token life); still signed in after several
        page.goto(f"{portal_url}/")
        page.goto(f"{portal_url}/")
        assert "Signed in as officer" in page.locator(".who").inner_text()


def test_logout_ends_the_keycloak_session(portal_url: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, portal_url, "auditor")
        stolen = page.context.cookies(portal_url)
        sign_out(page)
        assert page.get_by_role("link", name="Sign in").first.is_visible()
        # signing in again asks for the password: the Keycloak session ended, not just the cookie
        page.goto(f"{portal_url}/login")
        page.wait_for_url("**/realms/rsc/protocol/openid-connect/auth**")
        assert page.locator("#password").is_visible()
        # a copy of the old session cookie no longer works once its token needs refreshing (every request
        # here): the refresh token died with the Keycloak session
        fresh = browser.new_context()
        fresh.add_cookies(stolen)
        other = fresh.new_page()
        other.goto(f"{portal_url}/account")
        other.wait_for_url("**/realms/rsc/protocol/openid-connect/auth**")


def test_forged_or_replayed_callback_is_refused(portal_url: str) -> None:
    response = httpx.get(f"{portal_url}/auth/callback", params={"state": "forged", "code": "stolen"})
    assert response.status_code == 400
    assert "took too long or was started in another tab" in response.text
    refused = httpx.get(f"{portal_url}/auth/callback", params={"error": "access_denied"})
    assert refused.status_code == 400


def test_a_form_post_without_the_csrf_token_is_refused(portal_url: str, tmp_path: Path) -> None:
    with chromium() as browser:
        page = browser.new_page()
        sign_in(page, portal_url, "reporter")
        # the same logout form, but without its token: a cross-site form would look like this
        status = page.evaluate(
            """async (url) => (await fetch(url + '/logout', {method: 'POST', redirect: 'manual',
                 headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'x=1'})).status""",
            portal_url,
        )
        assert status == 403
        page.goto(f"{portal_url}/")
        assert "Signed in as reporter" in page.locator(".who").inner_text()
