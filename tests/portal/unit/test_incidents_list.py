"""The incident list: filters passed to the monitoring API, deadlines in words, htmx partial refresh, and
who may see it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs

import httpx

from tests.portal.pages import FakeApis, portal
from tests.portal.unit.test_incidents_fixtures import TYPES, iso, page, public


def _row(html: str, incident_id: str) -> str:
    match = re.search(rf'<tr data-testid="incident-row" data-incident-id="{incident_id}".*?</tr>', html, re.S)
    assert match, f"no row for {incident_id}"
    return match.group(0)


def _queries(apis: FakeApis) -> list[dict[str, list[str]]]:
    return [parse_qs(r.url.query.decode()) for r in apis.calls if r.url.path == "/v1/incidents"]


def _apis(*items: dict) -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/incidents", page(*items))
    apis.on("GET", "monitoring", "/v1/incident-types", TYPES)
    return apis


OVERDUE = public("reported", id="00000000-0000-0000-0000-000000000001", triage_due_at=iso(timedelta(days=-2, hours=-1)))
SOON = public("investigating", id="00000000-0000-0000-0000-000000000002", investigation_due_at=iso(timedelta(hours=20)))
ON_TIME = public("triaged", id="00000000-0000-0000-0000-000000000003", investigation_due_at=iso(timedelta(days=9)))
CLOSED = public("closed", id="00000000-0000-0000-0000-000000000004")
IN_MEASURES = public("measures", id="00000000-0000-0000-0000-000000000005")


def test_the_list_shows_each_incident_with_its_deadline_in_words() -> None:
    apis = _apis(OVERDUE, SOON, ON_TIME, CLOSED, IN_MEASURES)
    with portal(["case_officer"], apis) as (client, _):
        response = client.get("/incidents")
    assert response.status_code == 200
    html = response.text
    overdue = _row(html, OVERDUE["id"])
    assert 'data-deadline="overdue"' in overdue
    assert "Triage: " in overdue
    assert "Overdue" in overdue
    assert "3 day(s) past the due date" in overdue
    assert 'data-testid="incident-status" data-status="reported"' in overdue
    assert ">Reported<" in overdue
    soon = _row(html, SOON["id"])
    assert "Investigation: " in soon
    assert "Due soon" in soon
    assert "1 day(s) left" in soon
    assert "On time" in _row(html, ON_TIME["id"])
    assert "Overdue" not in _row(html, ON_TIME["id"])
    assert "No running deadline" in _row(html, CLOSED["id"])
    assert "See the measures on the incident page" in _row(html, IN_MEASURES["id"])
    assert "1 overdue" in html
    assert "1 due soon" in html
    assert "Suspicious approach" in overdue
    assert "GA-2026-0007" in overdue
    assert f'href="/incidents/{OVERDUE["id"]}"' in overdue
    assert '<th scope="col">' in html
    assert '<th scope="row">' in html
    assert _queries(apis) == [{"limit": ["50"], "offset": ["0"]}]


def test_filters_are_passed_to_the_api_and_kept_in_the_form() -> None:
    apis = _apis(ON_TIME)
    with portal(["security_adviser"], apis) as (client, _):
        response = client.get(
            "/incidents",
            params={"status": "triaged", "type": "export_control_breach", "severity": "high",
                    "grant_reference": " GA-2026-0007 ", "exercise": "false", "offset": "50"},
        )  # fmt: skip
    assert response.status_code == 200
    assert _queries(apis) == [
        {
            "status": ["triaged"], "type": ["export_control_breach"], "severity": ["high"],
            "grant_reference": ["GA-2026-0007"], "exercise": ["false"], "limit": ["50"], "offset": ["50"],
        }
    ]  # fmt: skip
    assert '<option value="triaged" selected>' in response.text
    assert '<option value="export_control_breach" selected>' in response.text
    assert 'value="GA-2026-0007"' in response.text


def test_unknown_filter_values_are_not_sent() -> None:
    apis = _apis()
    with portal(["case_officer"], apis) as (client, _):
        response = client.get("/incidents", params={"status": "lost", "type": "nonsense", "severity": "x"})
    assert response.status_code == 200
    assert _queries(apis) == [{"limit": ["50"], "offset": ["0"]}]
    assert "No incident matches these filters." in response.text


def test_the_overdue_filter_reads_the_statuses_with_deadlines_and_keeps_the_overdue_ones() -> None:
    apis = FakeApis()
    by_status = {"reported": [OVERDUE], "triaged": [ON_TIME], "investigating": [SOON]}

    def answer(request: httpx.Request) -> httpx.Response:
        status = request.url.params.get("status")
        return httpx.Response(200, json=page(*by_status.get(status, [])))

    apis.on("GET", "monitoring", "/v1/incidents", answer)
    apis.on("GET", "monitoring", "/v1/incident-types", TYPES)
    with portal(["case_officer"], apis) as (client, _):
        response = client.get("/incidents", params={"deadline": "overdue", "grant_reference": "GA-2026-0007"})
    assert response.status_code == 200
    queries = _queries(apis)
    assert sorted(q["status"][0] for q in queries) == ["investigating", "reported", "triaged"]
    assert all(q["grant_reference"] == ["GA-2026-0007"] and q["limit"] == ["200"] for q in queries)
    rows = re.findall(r'data-testid="incident-row" data-incident-id="([^"]+)"', response.text)
    assert rows == [OVERDUE["id"]]
    assert "1 shown of 1" in response.text


def test_the_due_soon_filter_with_a_status_asks_only_for_that_status() -> None:
    apis = _apis(SOON, ON_TIME)
    with portal(["case_officer"], apis) as (client, _):
        response = client.get("/incidents", params={"deadline": "due_soon", "status": "investigating"})
    assert [q["status"] for q in _queries(apis)] == [["investigating"]]
    assert re.findall(r'data-incident-id="([^"]+)"', response.text) == [SOON["id"]]


def test_htmx_refresh_returns_the_table_only() -> None:
    apis = _apis(OVERDUE)
    with portal(["case_officer"], apis) as (client, _):
        partial = client.get("/incidents?status=reported", headers={"HX-Request": "true"})
        restore = client.get(
            "/incidents?status=reported", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="incident-results"')
    assert "<html" not in partial.text
    assert 'data-testid="incident-row"' in partial.text
    assert 'hx-get="/incidents?status=reported"' in partial.text
    assert 'hx-trigger="every 60s"' in partial.text
    assert "<html" in restore.text


def test_an_applicant_or_a_signed_out_visitor_cannot_see_the_list() -> None:
    apis = _apis(OVERDUE)
    with portal(["applicant"], apis) as (client, _):
        assert client.get("/incidents").status_code == 403
    with portal(["auditor"], apis) as (client, _):
        assert client.get("/incidents").status_code == 403
    with portal(None, apis) as (client, _):
        response = client.get("/incidents")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert _queries(apis) == []
