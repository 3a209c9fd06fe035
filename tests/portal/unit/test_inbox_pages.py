"""Inbox pages: notifications, mark one read (plain form and htmx), mark all read, preferences."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.portal.pages import FakeApis, csrf, portal

UNREAD = {
    "id": "43991432-5fc8-4bdf-96fb-da9b18a4430f",
    "category": "cases",
    "title": "New case in the queue: 5e58500f (high)",
    "body": "Dear Olivia Officer,\n\na proposal needs a research-security appraisal.",
    "link": "http://127.0.0.1:8100/cases?proposal_id=1ba9a90e-20d2-42e3-8b60-e5bb42df0c4c",
    "created_at": "2026-12-06T19:52:37.202060Z",
    "read_at": None,
}
READ = {
    **UNREAD, "id": "fa4f6a94-d419-4991-af48-24d16dfbbab3", "category": "integrity",
    "title": "Audit chain alert", "link": "javascript:alert(1)", "read_at": "2026-12-06T20:00:00Z",
}  # fmt: skip
PREFERENCES = [
    {"category": "submissions", "mode": "immediate", "mandatory": False},
    {"category": "decisions", "mode": "immediate", "mandatory": True},
    {"category": "cases", "mode": "digest", "mandatory": False},
    {"category": "sla", "mode": "immediate", "mandatory": False},
]


def inbox_apis() -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "notifications", "/v1/inbox", [UNREAD, READ])
    apis.on("GET", "notifications", "/v1/inbox/unread-count", {"unread": 0})
    apis.on("POST", "notifications", f"/v1/inbox/{UNREAD['id']}/read", {**UNREAD, "read_at": "2026-12-06T21:00:00Z"})
    apis.on("POST", "notifications", "/v1/inbox/read-all", {"unread": 0})
    apis.on("GET", "notifications", "/v1/preferences", PREFERENCES)
    return apis


def posted(apis: FakeApis, path: str) -> int:
    return len([r for r in apis.calls if r.method == "POST" and r.url.path == path])


@pytest.mark.parametrize("roles", [["applicant"], ["auditor"], ["case_officer", "admin"]])
def test_every_signed_in_user_sees_their_notifications(roles: list[str]) -> None:
    with portal(roles, inbox_apis()) as (client, _):
        page = client.get("/inbox")
    assert page.status_code == 200
    assert page.text.count('data-testid="inbox-item"') == 2
    assert "1 unread" in page.text
    assert 'data-read="false"' in page.text
    assert 'data-read="true"' in page.text
    assert page.text.count('data-testid="inbox-mark-read"') == 1
    assert 'href="http://127.0.0.1:8100/cases?proposal_id=1ba9a90e-20d2-42e3-8b60-e5bb42df0c4c"' in page.text
    assert "javascript:" not in page.text  # a link that is not a web address is not made a link
    assert "Audit integrity alerts" in page.text  # the category's name


def test_the_inbox_needs_a_sign_in() -> None:
    with portal(None) as (client, _):
        answer = client.get("/inbox")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/inbox"


def test_marking_one_read_without_javascript_redirects_back() -> None:
    apis = inbox_apis()
    with portal(["applicant"], apis) as (client, _):
        answer = client.post(f"/inbox/{UNREAD['id']}/read", data={"csrf_token": csrf(client)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/inbox?done=read"
    assert posted(apis, f"/v1/inbox/{UNREAD['id']}/read") == 1


def test_marking_one_read_with_htmx_swaps_the_item_and_the_count() -> None:
    apis = inbox_apis()
    with portal(["applicant"], apis) as (client, _):
        answer = client.post(
            f"/inbox/{UNREAD['id']}/read", headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)}
        )
    assert answer.status_code == 200
    assert "<html" not in answer.text
    item = re.search(r'<li[^>]*data-testid="inbox-item"[^>]*>', answer.text)
    assert item is not None
    assert 'data-read="true"' in item.group(0)
    assert 'data-testid="inbox-mark-read"' not in answer.text
    assert re.search(r'id="inbox-unread"[^>]*hx-swap-oob="true"', answer.text)
    assert "No unread notifications" in answer.text


def test_marking_one_read_needs_the_csrf_token() -> None:
    apis = inbox_apis()
    with portal(["applicant"], apis) as (client, _):
        answer = client.post(f"/inbox/{UNREAD['id']}/read", headers={"HX-Request": "true"})
    assert answer.status_code == 403
    assert posted(apis, f"/v1/inbox/{UNREAD['id']}/read") == 0


def test_a_notification_of_someone_else_is_not_found() -> None:
    apis = inbox_apis()
    other = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
    apis.on(
        "POST",
        "notifications",
        f"/v1/inbox/{other}/read",
        httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "no such notification"}),
    )
    with portal(["applicant"], apis) as (client, _):
        answer = client.post(f"/inbox/{other}/read", data={"csrf_token": csrf(client)})
    assert answer.status_code == 404


def test_mark_all_read() -> None:
    apis = inbox_apis()
    with portal(["auditor"], apis) as (client, _):
        answer = client.post("/inbox/read-all", data={"csrf_token": csrf(client)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/inbox?done=all_read"
    assert posted(apis, "/v1/inbox/read-all") == 1


def test_the_unread_count_fragment() -> None:
    apis = inbox_apis()
    apis.on("GET", "notifications", "/v1/inbox/unread-count", {"unread": 7})
    with portal(["auditor"], apis) as (client, _):
        fragment = client.get("/inbox/unread-count")
    assert 'data-count="7"' in fragment.text
    assert "7 unread" in fragment.text


def test_preferences_offer_a_choice_only_where_there_is_one() -> None:
    with portal(["applicant"], inbox_apis()) as (client, _):
        page = client.get("/inbox/preferences")
    assert page.status_code == 200
    assert '<label for="mode-cases">Cases</label>' in page.text
    assert 'name="mode_decisions"' not in page.text  # mandatory: no control to turn it off
    assert "mandatory, cannot be delayed or turned off" in page.text
    cases = re.search(r'<select id="mode-cases".*?</select>', page.text, re.S)
    assert cases is not None
    assert '<option value="digest" selected>' in cases.group(0)


def test_saving_preferences_puts_only_the_changes() -> None:
    apis = inbox_apis()
    apis.on("PUT", "notifications", "/v1/preferences/submissions", lambda r: httpx.Response(200, json={
        "category": "submissions", "mode": "off", "mandatory": False}))  # fmt: skip
    with portal(["applicant"], apis) as (client, _):
        answer = client.post(
            "/inbox/preferences",
            data={"csrf_token": csrf(client), "mode_submissions": "off", "mode_cases": "digest",
                  "mode_sla": "immediate", "mode_decisions": "off"},
        )  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["location"] == "/inbox/preferences?saved=1"
    puts = [(r.url.path, r.content) for r in apis.calls if r.method == "PUT"]
    assert puts == [("/v1/preferences/submissions", b'{"mode":"off"}')]


def test_a_refused_preference_is_shown() -> None:
    apis = inbox_apis()
    apis.on("PUT", "notifications", "/v1/preferences/sla", httpx.Response(
        422, json={"title": "Unprocessable Entity", "status": 422, "detail": "sla cannot be off today"}))  # fmt: skip
    with portal(["applicant"], apis) as (client, _):
        page = client.post("/inbox/preferences", data={"csrf_token": csrf(client), "mode_sla": "off"})
    assert page.status_code == 422
    assert "sla cannot be off today" in page.text
    sla = re.search(r'<select id="mode-sla".*?</select>', page.text, re.S)
    assert sla is not None
    assert '<option value="off" selected>' in sla.group(0)  # the choice is kept


def test_an_unknown_mode_is_refused_locally() -> None:
    apis = inbox_apis()
    with portal(["applicant"], apis) as (client, _):
        page = client.post("/inbox/preferences", data={"csrf_token": csrf(client), "mode_cases": "hourly"})
    assert page.status_code == 422
    assert "Choose immediately, daily digest or off." in page.text
    assert not [r for r in apis.calls if r.method == "PUT"]
