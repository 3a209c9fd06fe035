"""Every incident action: the right body to the right monitoring endpoint, a redirect back to the incident
(PRG), and a refusal shown on the incident page with the API's detail, its field errors and the typed
values; recording an incident."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.portal.pages import FakeApis, csrf, portal
from tests.portal.unit.test_incidents_fixtures import (
    INCIDENT_ID,
    MEASURE_ID,
    OTHER_OFFICER,
    TYPES,
    incident,
    measure,
    subject_of,
    with_incident,
)

URL = f"/incidents/{INCIDENT_ID}"
API = f"/v1/incidents/{INCIDENT_ID}"


def problem(detail: str, status: int = 409, errors: list[dict[str, Any]] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"type": "illegal-transition", "title": "Refused", "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


def _post(
    path: str,
    data: dict[str, Any] | list[tuple[str, str]],
    api_path: str,
    *,
    status: str,
    answer: Any = None,
    method: str = "POST",
    roles: tuple[str, ...] = ("case_officer",),
    measures: list[dict[str, Any]] | None = None,
):
    apis = FakeApis()
    apis.on(method, "monitoring", api_path, answer if answer is not None else incident(status))
    with portal(list(roles), apis) as (client, _):
        kw = {} if measures is None else {"measures": measures}
        with_incident(apis, incident(status, [subject_of(client)], **kw))
        items = list(data.items()) if isinstance(data, dict) else data
        fields: dict[str, list[str]] = {"csrf_token": [csrf(client)]}
        for name, value in items:
            fields.setdefault(name, []).append(value)
        response = client.post(path, data=fields)
    return response, apis


def test_triage_sends_severity_assignees_and_note_and_redirects_back() -> None:
    response, apis = _post(
        f"{URL}/triage",
        {"severity": "high", "assignees": f"{OTHER_OFFICER}\n  adviser-2, {OTHER_OFFICER}", "note": "Credible."},
        f"{API}/triage",
        status="reported",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=triage#actions"
    assert apis.sent("POST", f"{API}/triage") == [
        {"severity": "high", "assignees": [OTHER_OFFICER, "adviser-2"], "note": "Credible."}
    ]


def test_a_refused_triage_shows_the_api_detail_field_errors_and_the_typed_values() -> None:
    errors = [{"pointer": "/assignees", "message": "List should have at most 10 items"}]
    response, _ = _post(
        f"{URL}/triage",
        {"severity": "critical", "assignees": "someone", "note": "Typed note stays."},
        f"{API}/triage",
        status="reported",
        answer=problem("The triage is not valid.", 422, errors),
    )
    assert response.status_code == 400
    html = response.text
    assert 'data-testid="action-refused"' in html
    assert "The triage is not valid." in html
    assert "List should have at most 10 items" in html
    assert 'aria-invalid="true"' in html  # the message beside the assignees field
    assert "Typed note stays." in html
    assert '<option value="critical" selected>' in html
    assert 'data-testid="triage-incident"' in html  # the whole incident page, not an error page


def test_a_conflict_for_a_form_no_longer_shown_is_at_the_top_of_the_page() -> None:
    # the incident moved on meanwhile: it is triaged now, so the triage form is gone
    response, _ = _post(
        f"{URL}/triage",
        {"severity": "low", "note": "late"},
        f"{API}/triage",
        status="triaged",
        answer=problem("An incident cannot go from triaged to triaged by triage."),
    )
    assert response.status_code == 409
    assert "An incident cannot go from triaged to triaged by triage." in response.text
    assert "<h2>The action was not carried out</h2>" in response.text


def test_start_investigation_sends_the_note() -> None:
    response, apis = _post(
        f"{URL}/investigation", {"note": "Interview the lab head."}, f"{API}/investigation", status="triaged"
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{URL}?done=investigation")
    assert apis.sent("POST", f"{API}/investigation") == [{"note": "Interview the lab head."}]


def test_a_missing_note_is_refused_before_the_api() -> None:
    response, apis = _post(f"{URL}/investigation", {"note": "  "}, f"{API}/investigation", status="triaged")
    assert response.status_code == 400
    assert apis.sent("POST", f"{API}/investigation") == []
    assert "This field is required." in response.text


def test_dismissal_sends_the_reason_and_a_403_is_shown() -> None:
    response, apis = _post(f"{URL}/dismissal", {"reason": "Duplicate of INC-1."}, f"{API}/dismissal", status="reported")
    assert response.status_code == 303
    assert apis.sent("POST", f"{API}/dismissal") == [{"reason": "Duplicate of INC-1."}]
    response, _ = _post(
        f"{URL}/dismissal",
        {"reason": "no"},
        f"{API}/dismissal",
        status="reported",
        answer=problem("Only case officers, security advisers and admins handle incidents.", 403),
    )
    assert response.status_code == 403
    assert "Only case officers, security advisers and admins handle incidents." in response.text
    assert "<details open>" in response.text  # the dismissal form is opened again with its error


def test_measures_are_sent_with_owner_due_date_and_note_per_kind() -> None:
    due = (date.today() + timedelta(days=45)).isoformat()
    data = [
        ("kind", "payment_suspension"), ("kind", "authority_notification"), ("kind", "not-a-kind"),
        ("owner__payment_suspension", "finance unit"), ("due__payment_suspension", due),
        ("note__payment_suspension", "Hold the next instalment."),
        ("owner__authority_notification", "security adviser"), ("due__authority_notification", ""),
        ("note__authority_notification", "Inform the national contact point."),
        ("owner__termination", "ignored: not chosen"),
        ("note", "Export of controlled photonics suspected."),
    ]  # fmt: skip
    response, apis = _post(f"{URL}/measures", data, f"{API}/measures", status="investigating")
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=measures#measures"
    assert apis.sent("POST", f"{API}/measures") == [
        {
            "measures": [
                {"kind": "payment_suspension", "owner": "finance unit", "note": "Hold the next instalment.",
                 "due_at": f"{due}T23:59:59+00:00"},
                {"kind": "authority_notification", "owner": "security adviser",
                 "note": "Inform the national contact point."},
            ],
            "note": "Export of controlled photonics suspected.",
        }
    ]  # fmt: skip


def test_measures_without_a_choice_or_an_owner_are_refused_before_the_api() -> None:
    response, apis = _post(f"{URL}/measures", {"note": "x"}, f"{API}/measures", status="investigating")
    assert response.status_code == 400
    assert "Choose at least one measure." in response.text
    response, apis = _post(
        f"{URL}/measures",
        [("kind", "termination"), ("note__termination", "End it."), ("due__termination", "soon"), ("note", "x")],
        f"{API}/measures",
        status="investigating",
    )
    assert response.status_code == 400
    assert apis.sent("POST", f"{API}/measures") == []
    assert "Enter a valid date." in response.text
    assert "This field is required." in response.text
    assert 'id="f-kind-termination" name="kind" value="termination" checked' in response.text
    assert "End it." in response.text


def test_api_pointers_of_a_measure_point_at_the_fields_of_its_kind() -> None:
    errors = [{"pointer": "/measures/1/owner", "message": "String should have at least 1 character"}]
    data = [
        ("kind", "corrective_plan"), ("owner__corrective_plan", "grantee"), ("note__corrective_plan", "Plan."),
        ("kind", "recovery_of_funds"), ("owner__recovery_of_funds", "x"), ("note__recovery_of_funds", "Recover."),
        ("note", "Why."),
    ]  # fmt: skip
    response, _ = _post(
        f"{URL}/measures",
        data,
        f"{API}/measures",
        status="investigating",
        answer=problem("The measures are not valid.", 422, errors),
    )
    assert response.status_code == 400
    html = response.text
    assert '<p class="field-error" id="f-owner-recovery_of_funds-error">String should have at least 1 character' in html
    assert 'id="f-owner-corrective_plan-error"' not in html


def test_measure_status_change_goes_to_the_measure() -> None:
    api = f"{API}/measures/{MEASURE_ID}/status"
    response, apis = _post(
        f"{URL}/measures/{MEASURE_ID}/status", {"status": "done", "note": "Plan received."}, api, status="measures"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=measure#measure-{MEASURE_ID}"
    assert apis.sent("POST", api) == [{"status": "done", "note": "Plan received."}]
    response, _ = _post(
        f"{URL}/measures/{MEASURE_ID}/status",
        {"status": "in_progress", "note": "Kept."},
        api,
        status="measures",
        answer=problem("A measure cannot go from planned to in_progress."),
    )
    assert response.status_code == 409
    assert "A measure cannot go from planned to in_progress." in response.text
    assert "Kept." in response.text
    assert '<option value="in_progress" selected>' in response.text


def test_closure_sends_outcome_and_lessons_and_shows_open_measures_refusal() -> None:
    response, apis = _post(
        f"{URL}/closure",
        {"outcome": "Access refused", "lessons_learned": "Brief staff."},
        f"{API}/closure",
        status="measures",
        measures=[measure("done")],
    )
    assert response.status_code == 303
    assert apis.sent("POST", f"{API}/closure") == [{"outcome": "Access refused", "lessons_learned": "Brief staff."}]
    response, _ = _post(
        f"{URL}/closure",
        {"outcome": "Done", "lessons_learned": "None."},
        f"{API}/closure",
        status="measures",
        measures=[measure("done")],
        answer=problem("1 measure(s) are not done or cancelled yet."),
    )
    assert response.status_code == 409
    assert 'data-testid="action-refused"' in response.text
    assert "1 measure(s) are not done or cancelled yet." in response.text


def test_evidence_is_added_as_text() -> None:
    response, apis = _post(
        f"{URL}/evidence", {"kind": "evidence", "body": "Badge log extract."}, f"{API}/evidence", status="investigating"
    )
    assert response.status_code == 303
    assert "done=evidence" in response.headers["location"]
    assert apis.sent("POST", f"{API}/evidence") == [{"kind": "evidence", "body": "Badge log extract."}]


def test_assignees_are_put_and_a_refusal_keeps_the_list() -> None:
    response, apis = _post(
        f"{URL}/assignees", {"assignees": "a\nb\na"}, f"{API}/assignees", status="triaged", method="PUT"
    )
    assert response.status_code == 303
    assert "done=assignees" in response.headers["location"]
    assert apis.sent("PUT", f"{API}/assignees") == [{"assignees": ["a", "b"]}]
    assert apis.sent("POST", f"{API}/assignees") == []
    response, _ = _post(
        f"{URL}/assignees",
        {"assignees": "typed-person"},
        f"{API}/assignees",
        status="triaged",
        method="PUT",
        answer=problem("Incident INC-2026-1A2B3C4D is closed."),
    )
    assert response.status_code == 409
    assert "Incident INC-2026-1A2B3C4D is closed." in response.text
    assert "typed-person" in response.text


def test_an_applicant_cannot_post_actions() -> None:
    response, apis = _post(
        f"{URL}/triage", {"severity": "low", "note": "x"}, f"{API}/triage", status="reported", roles=("applicant",)
    )
    assert response.status_code == 403
    assert apis.sent("POST", f"{API}/triage") == []


@pytest.mark.parametrize("path", ["/triage", "/closure", "/assignees"])
def test_actions_need_the_csrf_token(path: str) -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        response = client.post(URL + path, data={"note": "x"})
    assert response.status_code == 403
    assert apis.calls == []


# ------------------------------------------------------------------------------------ new incident


def _new(data: dict[str, str], answer: Any = None):  # type: ignore[no-untyped-def]
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/incident-types", TYPES)
    apis.on(
        "POST", "monitoring", "/v1/incidents", answer if answer is not None else httpx.Response(201, json=incident())
    )
    with portal(["case_officer"], apis) as (client, _):
        form = client.get("/incidents/new?grant_reference=GA-2026-0007")
        response = client.post("/incidents/new", data={"csrf_token": csrf(client), **data})
    return form, response, apis


def test_an_officer_records_an_incident() -> None:
    form, response, apis = _new(
        {
            "type": "export_control_breach",
            "severity": "high",
            "grant_reference": "GA-2026-0007",
            "title": "Shipment without licence",
            "description": "A dual-use laser was shipped.",
            "occurred_at": "2026-03-02T10:30",
        }
    )
    assert form.status_code == 200
    assert 'value="GA-2026-0007"' in form.text
    assert "Export-control breach: Export-control rules were breached." in form.text
    for fid in ("f-new-type", "f-new-severity", "f-new-grant-reference", "f-new-title", "f-new-description"):
        assert f'<label for="{fid}">' in form.text
    assert response.status_code == 303
    assert response.headers["location"] == f"/incidents/{INCIDENT_ID}?done=reported"
    assert apis.sent("POST", "/v1/incidents") == [
        {"type": "export_control_breach", "severity": "high", "grant_reference": "GA-2026-0007",
         "title": "Shipment without licence", "description": "A dual-use laser was shipped.",
         "occurred_at": "2026-03-02T10:30:00+00:00"}
    ]  # fmt: skip


def test_recording_an_incident_shows_the_api_refusal_beside_the_field() -> None:
    refusal = problem(
        "There is no grant GA-9 you may report on.",
        422,
        [{"pointer": "/grant_reference", "message": "There is no grant GA-9 you may report on."}],
    )
    _, response, _ = _new(
        {"type": "other", "severity": "low", "grant_reference": "GA-9", "title": "Odd", "description": "Kept text."},
        refusal,
    )
    assert response.status_code == 400
    assert 'data-testid="action-refused"' in response.text
    assert 'id="f-new-grant-reference-error">There is no grant GA-9 you may report on.' in response.text
    assert "Kept text." in response.text
    assert 'value="GA-9"' in response.text


def test_recording_an_incident_without_a_title_is_refused_before_the_api() -> None:
    _, response, apis = _new(
        {"type": "other", "severity": "medium", "title": "", "description": "d", "occurred_at": "x"}
    )
    assert response.status_code == 400
    assert apis.sent("POST", "/v1/incidents") == []
    assert "This field is required." in response.text
    assert "Enter a date and time." in response.text


def test_an_applicant_cannot_open_the_officer_form() -> None:
    apis = FakeApis()
    with portal(["applicant"], apis) as (client, _):
        assert client.get("/incidents/new").status_code == 403
    assert apis.calls == []
