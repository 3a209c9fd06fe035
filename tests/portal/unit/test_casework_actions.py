"""Every officer action: the right body to the right appraisal endpoint, a redirect back to the case
(PRG), and a refusal shown on the case page with the API's detail and the typed values kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.portal.pages import FakeApis, csrf, portal
from tests.portal.unit.test_casework_fixtures import CASE_ID, PARTNER_ORG, case, subject_of, with_case

URL = f"/cases/{CASE_ID}"
ACCEPTED = {"case_id": CASE_ID, "status": "in_review", "seq": 3}


def refused(detail: str, status: int = 409) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": "case-action-refused", "title": "The action was refused", "status": status, "detail": detail},
        headers={"content-type": "application/problem+json"},
    )


def _post(
    roles: list[str],
    path: str,
    data: dict[str, Any],
    api_path: str,
    answer: Any = None,
    status: str = "in_review",
    role: str = "case_officer",
    headers: dict[str, str] | None = None,
):
    apis = FakeApis()
    apis.on("POST", "appraisal", api_path, answer if answer is not None else ACCEPTED)
    with portal(roles, apis) as (client, _):
        with_case(apis, case(status, [{"subject": subject_of(client), "role": role}]))
        response = client.post(path, data={"csrf_token": csrf(client), **data}, headers=headers or {})
    return response, apis


def test_claim_sends_the_users_reviewer_role_and_redirects_back() -> None:
    response, apis = _post(["case_officer"], f"{URL}/claim", {"role": "case_officer"}, f"/v1/cases/{CASE_ID}/claim")
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=claim"
    assert apis.sent("POST", f"/v1/cases/{CASE_ID}/claim") == [{"role": "case_officer"}]
    response, apis = _post(["security_adviser"], f"{URL}/claim", {}, f"/v1/cases/{CASE_ID}/claim")
    assert apis.sent("POST", f"/v1/cases/{CASE_ID}/claim") == [{"role": "security_adviser"}]


def test_a_refused_claim_shows_the_api_detail_on_the_case_page() -> None:
    detail = "the security_adviser of this case is someone-else; use reassignment"
    response, _ = _post(
        ["security_adviser"],
        f"{URL}/claim",
        {"role": "security_adviser"},
        f"/v1/cases/{CASE_ID}/claim",
        refused(detail),
    )
    assert response.status_code == 409
    assert detail in response.text
    assert 'role="alert"' in response.text
    assert 'data-testid="screening-explanation"' in response.text  # the whole case page, not an error page


def test_the_done_notice_after_the_redirect() -> None:
    apis = FakeApis()
    with_case(apis, case())
    with portal(["case_officer"], apis) as (client, _):
        page = client.get(f"{URL}?done=claim")
        odd = client.get(f"{URL}?done=<script>")
    assert "The case is now assigned to you." in page.text
    assert 'data-testid="action-done"' not in odd.text


def test_information_request_sends_message_and_end_of_day_due_date() -> None:
    due = (date.today() + timedelta(days=14)).isoformat()
    response, apis = _post(
        ["case_officer"],
        f"{URL}/information-requests",
        {"message": "Please describe the partner's ownership.", "due_at": due},
        f"/v1/cases/{CASE_ID}/information-requests",
    )
    assert response.status_code == 303
    [body] = apis.sent("POST", f"/v1/cases/{CASE_ID}/information-requests")
    assert body == {"message": "Please describe the partner's ownership.", "due_at": f"{due}T23:59:59+00:00"}


def test_information_request_without_message_is_refused_before_the_api() -> None:
    response, apis = _post(
        ["case_officer"],
        f"{URL}/information-requests",
        {"message": " ", "due_at": "tomorrow"},
        f"/v1/cases/{CASE_ID}/information-requests",
    )
    assert response.status_code == 400
    assert not apis.sent("POST", f"/v1/cases/{CASE_ID}/information-requests")
    assert "This field is required." in response.text
    assert "Enter a valid date." in response.text
    assert 'value="tomorrow"' in response.text  # what was typed is kept


def test_appraisal_records_the_categories_with_a_rationale() -> None:
    data = {
        "summary": "Partner resembles a watch-list entry; photonics is a priority area.",
        "level__partner_organisation": "high",
        "rationale__partner_organisation": "Likely the listed institute.",
        "level__research_domain": "medium",
        "rationale__research_domain": "Dual-use photonics.",
        "level__third_country": "low",
        "rationale__third_country": "",
        "level__applicant_organisation": "low",
    }
    response, apis = _post(["case_officer"], f"{URL}/appraisal", data, f"/v1/cases/{CASE_ID}/appraisal")
    assert response.status_code == 303
    [body] = apis.sent("POST", f"/v1/cases/{CASE_ID}/appraisal")
    assert body == {
        "summary": "Partner resembles a watch-list entry; photonics is a priority area.",
        "factors": [
            {"category": "research_domain", "level": "medium", "rationale": "Dual-use photonics."},
            {"category": "partner_organisation", "level": "high", "rationale": "Likely the listed institute."},
        ],
    }


def test_decision_with_safeguards_sends_the_chosen_measures() -> None:
    due = (date.today() + timedelta(days=90)).isoformat()
    data = {
        "outcome": "cleared_with_safeguards",
        "reason": "Acceptable with compartmentalisation of the lab work.",
        "measure": ["compartmentalisation"],
        "owner__compartmentalisation": "Project coordinator",
        "due__compartmentalisation": due,
        "evidence__compartmentalisation": "Signed separation plan",
        "terms__compartmentalisation": "",
        # a measure not ticked is not sent, whatever its fields say
        "owner__training": "PI",
        "due__training": due,
        "evidence__training": "Certificates",
    }
    response, apis = _post(["case_officer"], f"{URL}/decision", data, f"/v1/cases/{CASE_ID}/decision")
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{URL}?done=decision")
    [body] = apis.sent("POST", f"/v1/cases/{CASE_ID}/decision")
    assert body == {
        "outcome": "cleared_with_safeguards",
        "reason": "Acceptable with compartmentalisation of the lab work.",
        "measures": [
            {
                "measure_id": "compartmentalisation",
                "owner": "Project coordinator",
                "due_at": f"{due}T23:59:59+00:00",
                "evidence_required": "Signed separation plan",
            }
        ],
    }


def test_decision_checks_the_builder_and_keeps_the_choice() -> None:
    data = {
        "outcome": "cleared_with_safeguards",
        "reason": "Acceptable with measures.",
        "measure": ["compartmentalisation"],
        "owner__compartmentalisation": "",
    }
    response, apis = _post(["case_officer"], f"{URL}/decision", data, f"/v1/cases/{CASE_ID}/decision")
    assert response.status_code == 400
    assert not apis.sent("POST", f"/v1/cases/{CASE_ID}/decision")
    assert 'id="f-measure-compartmentalisation" name="measure" value="compartmentalisation" checked' in response.text
    assert 'id="f-owner__compartmentalisation-error"' in response.text
    response, apis = _post(
        ["case_officer"],
        f"{URL}/decision",
        {"outcome": "not_fundable", "reason": "x" * 12},
        f"/v1/cases/{CASE_ID}/decision",
    )
    assert response.status_code == 400
    assert "A not-fundable decision needs the appeal path." in response.text


def test_decision_refused_by_the_workflow_shows_its_reason() -> None:
    detail = "a level-high case needs the factor-by-factor appraisal recorded before a decision"
    response, _ = _post(
        ["case_officer"],
        f"{URL}/decision",
        {"outcome": "cleared", "reason": "No remaining risk after review."},
        f"/v1/cases/{CASE_ID}/decision",
        refused(detail),
    )
    assert response.status_code == 409
    assert detail in response.text
    assert "No remaining risk after review." in response.text
    assert '<option value="cleared" selected>' in response.text


def test_api_validation_errors_are_listed_with_their_fields() -> None:
    problem = httpx.Response(
        422,
        json={
            "title": "Invalid request",
            "status": 422,
            "detail": "1 invalid field",
            "errors": [{"pointer": "/measures/0/owner", "message": "too long"}],
        },
    )
    data = {
        "outcome": "cleared_with_safeguards",
        "reason": "Acceptable with measures.",
        "measure": "compartmentalisation",
        "owner__compartmentalisation": "x",
        "due__compartmentalisation": (date.today() + timedelta(days=5)).isoformat(),
        "evidence__compartmentalisation": "plan",
    }
    response, _ = _post(["case_officer"], f"{URL}/decision", data, f"/v1/cases/{CASE_ID}/decision", problem)
    assert response.status_code == 400
    assert "/measures/0/owner" in response.text
    assert "too long" in response.text


@pytest.mark.parametrize(
    ("path", "data", "api_path", "body"),
    [
        ("decision/confirm", {"reason": ""}, "decision/confirm", {"reason": None}),
        ("decision/confirm", {"reason": "Agreed."}, "decision/confirm", {"reason": "Agreed."}),
        ("decision/return", {"reason": "Measures too weak."}, "decision/return", {"reason": "Measures too weak."}),
        (
            "referral",
            {"authority": "National contact point", "reason": "Needs intelligence input."},
            "referral",
            {"authority": "National contact point", "reason": "Needs intelligence input."},
        ),
        (
            "referral/answer",
            {"answer": "No objection.", "recommendation": ""},
            "referral/answer",
            {"answer": "No objection."},
        ),
        (
            "measures/compartmentalisation/verify",
            {"note": "Plan seen and signed."},
            "measures/compartmentalisation/verify",
            {"note": "Plan seen and signed."},
        ),
        (
            "measures/training/revise",
            {"reason": "Applicant asked for more time.", "owner": "", "due_at": ""},
            "measures/training/revise",
            {"reason": "Applicant asked for more time."},
        ),
        (
            "sla/extension",
            {"working_days": "10", "reason": "Waiting for the national authority."},
            "sla/extension",
            {"working_days": 10, "reason": "Waiting for the national authority."},
        ),
    ],
)
def test_actions_post_their_body_to_the_workflow(path: str, data: dict, api_path: str, body: dict) -> None:
    response, apis = _post(
        ["security_adviser"], f"{URL}/{path}", data, f"/v1/cases/{CASE_ID}/{api_path}", role="security_adviser"
    )
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"].startswith(f"{URL}?done=")
    assert apis.sent("POST", f"/v1/cases/{CASE_ID}/{api_path}") == [body]


def test_confirm_refused_by_four_eyes_is_shown() -> None:
    detail = "four-eyes: the decision must be confirmed by a second, different person"
    apis = FakeApis()
    apis.on("POST", "appraisal", f"/v1/cases/{CASE_ID}/decision/confirm", refused(detail))
    with portal(["security_adviser"], apis) as (client, _):
        me = subject_of(client)
        assignees = [{"subject": "other", "role": "case_officer"}, {"subject": me, "role": "security_adviser"}]
        proposed = {
            "outcome": "cleared",
            "reason": "r" * 12,
            "appeal_path": None,
            "decided_by": ["other"],
            "at": "2026-12-06T22:00:00Z",
        }
        with_case(apis, case("awaiting_second_review", assignees, state={"proposed_decision": proposed}))
        response = client.post(f"{URL}/decision/confirm", data={"csrf_token": csrf(client), "reason": "ok"})
    assert response.status_code == 409
    assert detail in response.text
    assert 'data-testid="confirm-decision"' in response.text


def test_award_sends_reference_and_a_signature_time_not_in_the_future() -> None:
    today = date.today().isoformat()
    response, apis = _post(
        ["case_officer"],
        f"{URL}/award",
        {"grant_reference": "GA-2027-0042", "signed_on": today},
        f"/v1/cases/{CASE_ID}/award",
        status="cleared",
    )
    assert response.status_code == 303
    [body] = apis.sent("POST", f"/v1/cases/{CASE_ID}/award")
    assert body["grant_reference"] == "GA-2027-0042"
    signed = datetime.fromisoformat(body["signed_at"])
    assert signed.tzinfo is not None
    assert signed <= datetime.now(UTC)
    assert signed.date().isoformat() == today


def test_match_review_posts_to_the_organisation() -> None:
    path = f"/v1/organisations/{PARTNER_ORG}/match-decisions"
    answer = httpx.Response(201, json={"id": "d1"})
    data = {
        "match_key": "m1",
        "organisation_id": PARTNER_ORG,
        "list_key": "demo-funder-watchlist",
        "entry_id": "demo-wl-0001",
        "decision": "false_positive",
        "reason": "Registered in another country, different identifier.",
    }
    response, apis = _post(["case_officer"], f"{URL}/match-decisions", data, path, answer)
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=match__m1#matches"
    assert apis.sent("POST", path) == [
        {
            "list_key": "demo-funder-watchlist",
            "entry_id": "demo-wl-0001",
            "decision": "false_positive",
            "reason": "Registered in another country, different identifier.",
        }
    ]


def test_match_review_errors_stay_with_their_match() -> None:
    path = f"/v1/organisations/{PARTNER_ORG}/match-decisions"
    data = {
        "match_key": "m1",
        "organisation_id": PARTNER_ORG,
        "list_key": "demo-funder-watchlist",
        "entry_id": "demo-wl-0001",
        "decision": "confirmed",
        "reason": "",
    }
    response, apis = _post(["case_officer"], f"{URL}/match-decisions", data, path)
    assert response.status_code == 400
    assert not apis.sent("POST", path)
    matches = response.text[response.text.index('id="matches"') :]
    assert "This field is required." in matches
    data["organisation_id"] = "../../cases"
    data["reason"] = "A real reason"
    response, apis = _post(["case_officer"], f"{URL}/match-decisions", data, path)
    assert response.status_code == 400
    assert not apis.calls[-1].url.path.startswith("/v1/organisations")


def test_notes_add_with_htmx_returns_the_refreshed_list() -> None:
    apis = FakeApis()
    apis.on("POST", "appraisal", f"/v1/cases/{CASE_ID}/notes", httpx.Response(201, json={**ACCEPTED, "note_id": "n"}))
    apis.on(
        "GET",
        "appraisal",
        f"/v1/cases/{CASE_ID}/notes",
        [{"id": "n", "author": "me", "body": "Spoke to the PI.", "created_at": "2026-12-06T22:00:00Z"}],
    )
    with portal(["security_adviser"], apis) as (client, _):
        partial = client.post(
            f"{URL}/notes",
            data={"body": "Spoke to the PI."},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
        plain = client.post(f"{URL}/notes", data={"body": "Second.", "csrf_token": csrf(client)})
    assert partial.status_code == 200
    assert partial.text.lstrip().startswith('<div id="notes-panel">')
    assert "Spoke to the PI." in partial.text
    assert "<html" not in partial.text
    assert plain.status_code == 303
    assert plain.headers["location"] == f"{URL}?done=note#notes"
    assert apis.sent("POST", f"/v1/cases/{CASE_ID}/notes") == [{"body": "Spoke to the PI."}, {"body": "Second."}]


def test_notes_refused_by_need_to_know_are_shown_in_the_partial() -> None:
    apis = FakeApis()
    detail = "notes are for the reviewers assigned to the case and security advisers"
    apis.on("POST", "appraisal", f"/v1/cases/{CASE_ID}/notes", refused(detail))
    apis.on("GET", "appraisal", f"/v1/cases/{CASE_ID}/notes", [])
    with portal(["case_officer"], apis) as (client, _):
        partial = client.post(
            f"{URL}/notes", data={"body": "Hello"}, headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)}
        )
    assert partial.status_code == 409
    assert detail in partial.text
    assert "Hello" in partial.text


def test_actions_need_the_csrf_token_and_an_officer() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        assert client.post(f"{URL}/claim", data={"role": "case_officer"}).status_code == 403
    with portal(["applicant"], apis) as (client, _):
        assert client.post(f"{URL}/claim", data={"csrf_token": csrf(client)}).status_code == 403
    assert not apis.sent("POST", f"/v1/cases/{CASE_ID}/claim")


def test_a_refusal_for_a_form_no_longer_shown_appears_at_the_top() -> None:
    detail = "the case is awaiting_applicant; this needs it to be in_review"
    response, _ = _post(
        ["case_officer"],
        f"{URL}/information-requests",
        {"message": "Again?", "due_at": (date.today() + timedelta(days=3)).isoformat()},
        f"/v1/cases/{CASE_ID}/information-requests",
        refused(detail),
        status="awaiting_applicant",
    )
    assert response.status_code == 409
    assert 'data-testid="request-information"' not in response.text
    top = response.text[response.text.index("<h1") : response.text.index('id="summary"')]
    assert 'data-testid="action-refused"' in top
    assert detail in top
