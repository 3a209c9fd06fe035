"""The officer queue: SLA classification with text (not colour alone), filters passed to the API, htmx
partial refresh, and who may see it."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs

import httpx

from tests.portal.pages import FakeApis, portal
from tests.portal.unit.test_casework_fixtures import case, sla, subject_of


def _row(html: str, case_id: str) -> str:
    match = re.search(rf'<tr data-testid="case-row" data-case-id="{case_id}".*?</tr>', html, re.S)
    assert match, f"no row for {case_id}"
    return match.group(0)


def _queue(*items: dict) -> dict:
    return {"items": list(items), "total": len(items), "limit": 50, "offset": 0}


def test_queue_marks_overdue_and_at_risk_cases_in_words() -> None:
    overdue = {**case(), "id": "11111111-1111-1111-1111-111111111111", "sla": sla(timedelta(days=-2))}
    breached = {**case(), "id": "22222222-2222-2222-2222-222222222222", "sla": sla(timedelta(days=3), breached=True)}
    at_risk = {**case(), "id": "33333333-3333-3333-3333-333333333333", "sla": sla(timedelta(days=3))}
    projected = {
        **case(),
        "id": "44444444-4444-4444-4444-444444444444",
        "sla": sla(timedelta(days=20), projected_breach=True),
    }
    fine = {**case(), "id": "55555555-5555-5555-5555-555555555555", "sla": sla(timedelta(days=30))}
    stopped = {
        **case(),
        "id": "66666666-6666-6666-6666-666666666666",
        "sla": sla(timedelta(days=-30), status="stopped"),
    }
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", _queue(overdue, breached, at_risk, projected, fine, stopped))
    with portal(["case_officer"], apis) as (client, _):
        page = client.get("/cases")
    assert page.status_code == 200
    html = page.text
    for item, state, word in (
        (overdue, "overdue", "Overdue"),
        (breached, "overdue", "Overdue"),
        (at_risk, "at_risk", "At risk"),
        (projected, "at_risk", "At risk"),
        (fine, "on_track", "On track"),
        (stopped, "stopped", "Clock stopped"),
    ):
        row = _row(html, item["id"])
        assert f'data-sla="{state}"' in row
        assert word in row, (state, row)
    assert "2 day(s) past the due date" in _row(html, overdue["id"])
    assert 'class="sla-overdue">Overdue' in _row(html, overdue["id"])
    assert "Overdue" not in _row(html, fine["id"])
    assert "At risk" not in _row(html, fine["id"])
    assert "2 overdue" in html
    assert "2 at risk" in html
    assert f'href="/cases/{overdue["id"]}"' in html


def test_queue_filters_are_passed_to_the_appraisal_api() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", _queue())
    with portal(["security_adviser"], apis) as (client, _):
        page = client.get(
            "/cases?status=in_review&status=awaiting_second_review&status=bogus&level=high&assignee=me"
            "&call_identifier=DEMO-2027-RIA-01&sla=overdue&include_closed=true&offset=50"
        )
        me = subject_of(client)
    assert page.status_code == 200
    [request] = [r for r in apis.calls if r.url.path == "/v1/cases"]
    sent = parse_qs(request.url.query.decode())
    assert sent["status"] == ["in_review", "awaiting_second_review"]  # unknown values are not passed on
    assert sent["level"] == ["high"]
    assert sent["assignee"] == [me]
    assert sent["call_identifier"] == ["DEMO-2027-RIA-01"]
    assert sent["overdue"] == ["true"]
    assert sent["include_closed"] == ["true"]
    assert sent["offset"] == ["50"]
    assert "No case matches these filters." in page.text
    # the form shows the filters in use, every field with a label
    assert 'id="f-status-in_review" name="status" value="in_review" checked' in page.text
    assert '<label for="f-call">Call</label>' in page.text


def test_at_risk_filter_asks_for_cases_due_soon_but_not_overdue() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", _queue())
    with portal(["case_officer"], apis) as (client, _):
        client.get("/cases?sla=at_risk")
    sent = parse_qs(apis.calls[-1].url.query.decode())
    assert sent["sla_due_within_days"] == ["5"]
    assert sent["overdue"] == ["false"]
    assert "assignee" not in sent
    assert "status" not in sent


def test_htmx_refresh_returns_only_the_table() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", _queue(case()))
    with portal(["case_officer"], apis) as (client, _):
        partial = client.get("/cases?level=high", headers={"HX-Request": "true"})
        full = client.get("/cases?level=high")
        restored = client.get("/cases?level=high", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in partial.text
    assert 'data-testid="case-row"' in partial.text
    assert 'hx-get="/cases?level=high"' in partial.text  # the periodic refresh keeps the filters
    assert "<html" in full.text
    assert 'hx-target="#queue-results"' in full.text
    assert "<html" in restored.text


def test_applicants_and_other_roles_get_403_and_signed_out_users_sign_in() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", _queue(case()))
    with portal(["applicant"], apis) as (client, _):
        assert client.get("/cases").status_code == 403
        assert client.get(f"/cases/{case()['id']}").status_code == 403
    with portal(["reporting_officer"], apis) as (client, _):
        assert client.get("/cases").status_code == 403
    with portal(None, apis) as (client, _):
        response = client.get("/cases")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert not apis.calls  # nothing was asked of the API for them


def test_an_api_failure_is_an_error_page_not_a_crash() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/cases", httpx.Response(503, json={"title": "Unavailable", "detail": "down"}))
    with portal(["case_officer"], apis) as (client, _):
        page = client.get("/cases")
    assert page.status_code == 503
