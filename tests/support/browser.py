"""Playwright on Debian's Chromium (the `chromium` package that `make bootstrap` installs; Playwright's own
browser download is never used), sign-in through Keycloak's real login form, screenshots and axe-core."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# axe-core impact levels the portal must not have on any page.
BLOCKING = ("serious", "critical")


def chromium_path() -> str:
    path = os.environ.get("RSC_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("Chromium is missing: `make bootstrap` installs Debian's chromium package")
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, portal_url: str, username: str, *, link: str = "Sign in") -> None:
    """Through the portal's sign-in link (`link`: its text in the page's language) and Keycloak's own login
    form (demo users: password = user name)."""
    page.goto(f"{portal_url}/")
    page.get_by_role("main").get_by_role("link", name=link).click()
    page.wait_for_url("**/realms/rsc/protocol/openid-connect/auth**")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("#kc-login")
    page.wait_for_url(f"{portal_url}/**")


def sign_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/?signed_out=1")


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.1 A/AA rules)."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def capture(page: Page, name: str) -> Path:
    """Saves a full-page screenshot as docs/screenshots/<name>.png (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
