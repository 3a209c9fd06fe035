"""Applicant pages against fake APIs answering like the real intake and monitoring services."""

from __future__ import annotations

import copy
import json
import re

import httpx
import pytest

from tests.portal.pages import SETTINGS, FakeApis, csrf, portal
from tests.portal.unit.test_applicant_support import (
    ATTACHMENT,
    CALL,
    CALL_ID,
    DIFF,
    FULL_CONTENT,
    GRANT,
    GRANT_REFERENCE,
    HISTORY,
    INCIDENT_TYPES,
    INFORMATION_REQUEST,
    ORGANISATION,
    PARTNER_ID,
    PROPOSAL_ID,
    QUESTIONNAIRE,
    REQUEST_ID,
    SAFEGUARDS,
    VERSIONS,
    P,
    problem,
    proposal,
    with_etag,
)

APPLICANT = ["applicant"]


def draft_apis(content: dict | None = None, status: str = "draft", etag: str = '"3"') -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "intake", P, with_etag(proposal(status, content), etag))
    apis.on("GET", "intake", f"/v1/calls/{CALL_ID}/questionnaire", QUESTIONNAIRE)
    apis.on("GET", "intake", f"/v1/calls/{CALL_ID}/questionnaires/1", QUESTIONNAIRE)
    apis.on("GET", "intake", P + "/attachments", [ATTACHMENT])
    apis.on("GET", "intake", "/v1/organisations/mine", ORGANISATION)
    return apis


def detail_apis(status: str = "information_requested", **overrides) -> FakeApis:
    apis = draft_apis(FULL_CONTENT, status)
    apis.on("GET", "intake", P + "/history", overrides.get("history", HISTORY))
    apis.on("GET", "intake", P + "/information-requests", overrides.get("requests", [INFORMATION_REQUEST]))
    apis.on("GET", "intake", P + "/safeguards", overrides.get("safeguards", SAFEGUARDS))
    apis.on("GET", "intake", P + "/versions", overrides.get("versions", VERSIONS[:1]))
    return apis


def put_requests(apis: FakeApis) -> list[httpx.Request]:
    return [r for r in apis.calls if r.method == "PUT" and r.url.path == P + "/content"]


def field_block(html: str, field_id: str) -> str:
    """The `.field` element holding the input with `field_id` (its label, error and input)."""
    at = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="field', 0, at)
    return html[start : html.index("</div>", at) + 6]


# ------------------------------------------------------------------------------------- list


def test_my_proposals_lists_the_applicant_visible_status() -> None:
    apis = FakeApis()
    items = [
        {**proposal("under_appraisal", FULL_CONTENT), "public_status": "under_security_appraisal"},
        {**proposal("draft"), "id": "11111111-1111-4111-8111-111111111111", "acronym": None},
    ]
    apis.on("GET", "intake", "/v1/proposals", {"items": items, "total": 2, "limit": 25, "offset": 0})
    with portal(APPLICANT, apis) as (client, _):
        page = client.get("/proposals")
    assert page.status_code == 200
    assert "Under security appraisal" in page.text  # appraisal's applicant-facing label, not "under_appraisal"
    assert "Untitled draft" in page.text
    assert '<th scope="col">' in page.text
    assert '<th scope="row">' in page.text
    assert f'href="/proposals/{PROPOSAL_ID}"' in page.text
    # the draft can be edited, the proposal under appraisal cannot
    assert page.text.count("/edit/project") == 1
    assert apis.calls[0].url.params["limit"] == "25"


def test_list_is_for_applicants_only() -> None:
    with portal(["case_officer"]) as (client, apis):
        assert client.get("/proposals").status_code == 403
    assert apis.calls == []


# ------------------------------------------------------------------------------------- new draft


def test_new_draft_is_created_for_the_chosen_call_and_opens_the_first_step() -> None:
    apis = FakeApis()
    apis.on("GET", "intake", "/v1/calls", [CALL])
    apis.on("POST", "intake", "/v1/proposals", httpx.Response(201, json=proposal(), headers={"ETag": '"1"'}))
    with portal(APPLICANT, apis) as (client, _):
        form = client.get("/proposals/new")
        assert 'data-testid="create-draft"' in form.text
        assert CALL["identifier"] in form.text
        created = client.post("/proposals/new", data={"csrf_token": csrf(client), "call_id": CALL_ID})
    assert created.status_code == 303
    assert created.headers["location"] == f"/proposals/{PROPOSAL_ID}/edit/project"
    assert apis.sent("POST", "/v1/proposals") == [{"call_id": CALL_ID}]


def test_a_closed_call_is_explained() -> None:
    apis = FakeApis()
    apis.on("GET", "intake", "/v1/calls", [CALL])
    apis.on("POST", "intake", "/v1/proposals", problem(422, detail="call DEMO-2027-RIA-01 is not open for proposals"))
    with portal(APPLICANT, apis) as (client, _):
        page = client.post("/proposals/new", data={"csrf_token": csrf(client), "call_id": CALL_ID})
    assert page.status_code == 422
    assert "is not open for proposals" in page.text


# --------------------------------------------------------------------------------- step saving


def test_project_step_saves_the_whole_draft_with_the_etag_the_applicant_saw() -> None:
    apis = draft_apis(etag='"7"')
    apis.on("PUT", "intake", P + "/content", with_etag(proposal(), '"8"'))
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/edit/project")
        assert 'name="etag" value="&#34;7&#34;"' in page.text or 'name="etag" value=\'"7"\'' in page.text
        assert 'data-testid="save-step"' in page.text
        saved = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/project",
            data={
                "csrf_token": csrf(client), "etag": '"5"', "action": "continue",
                "details.acronym": " PHOTON ", "details.title": "Secure photonic sensing",
                "details.abstract": "Sensors.", "details.keywords": "photonics, sensing\nlidar",
                "details.critical_technology_areas": ["advanced_sensing", "quantum"],
                "details.requested_budget_eur": "1500000", "details.duration_months": "36",
                "details.open_science_statement": "Open access.",
                "details.data_management.sensitive_personal_data": "false",
                "details.data_management.large_or_aggregated_datasets": "true",
                "details.data_management.statement": "",
                "details.sensitive_infrastructure.uses_sensitive_infrastructure": "",
                "details.sensitive_infrastructure.description": "",
            },
        )  # fmt: skip
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/proposals/{PROPOSAL_ID}/edit/partners"
    (put,) = put_requests(apis)
    assert put.headers["If-Match"] == '"5"'  # the version the form was filled on, not a fresh read
    body = json.loads(put.content)
    assert body["details"] == {
        "acronym": "PHOTON", "title": "Secure photonic sensing", "abstract": "Sensors.",
        "open_science_statement": "Open access.", "requested_budget_eur": "1500000", "duration_months": "36",
        "keywords": ["photonics", "sensing", "lidar"], "critical_technology_areas": ["advanced_sensing", "quantum"],
        "data_management": {"sensitive_personal_data": False, "large_or_aggregated_datasets": True, "statement": ""},
        "sensitive_infrastructure": None,
    }  # fmt: skip
    # the other parts of the draft are sent back unchanged
    assert body["partners"] == []
    assert body["self_assessment"] is None


def test_none_of_the_areas_is_an_explicit_empty_list() -> None:
    apis = draft_apis()
    apis.on("PUT", "intake", P + "/content", with_etag(proposal()))
    with portal(APPLICANT, apis) as (client, _):
        client.post(f"/proposals/{PROPOSAL_ID}/edit/project",
                    data={"csrf_token": csrf(client), "etag": '"3"', "action": "save",
                          "details.critical_technology_areas": "none"})  # fmt: skip
    body = json.loads(put_requests(apis)[0].content)
    assert body["details"]["critical_technology_areas"] == []
    assert body["details"]["acronym"] is None


def test_api_422_is_shown_beside_the_partner_field_with_the_values_kept() -> None:
    apis = draft_apis()
    apis.on("PUT", "intake", P + "/content", problem(422, [
        {"pointer": "/partners/0/country", "location": ["body", "partners", 0, "country"],
         "message": "Value error, 'XX' is not an ISO 3166-1 alpha-2 country code", "type": "value_error"},
        {"pointer": "/partners/0/budget_share_percent", "message": "Input should be a valid decimal"},
    ]))  # fmt: skip
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/partners",
            data={"csrf_token": csrf(client), "etag": '"3"', "action": "continue",
                  "partners.0.name": "Harbin Institute of Technolgy", "partners.0.country": "XX",
                  "partners.0.partner_type": "university", "partners.0.role": "beneficiary",
                  "partners.0.budget_share_percent": "twenty", "partners.0.shares": ["data", "know_how"]},
        )  # fmt: skip
    assert page.status_code == 422
    html = page.text
    country = field_block(html, "f-partners-0-country")
    assert "is not an ISO 3166-1 alpha-2 country code" in country
    assert 'aria-invalid="true"' in country
    assert 'aria-describedby="f-partners-0-country-error"' in country
    budget = field_block(html, "f-partners-0-budget_share_percent")
    assert "Input should be a valid decimal" in budget
    assert 'value="twenty"' in budget
    # the other fields keep what was typed, and carry no error
    name = field_block(html, "f-partners-0-name")
    assert 'value="Harbin Institute of Technolgy"' in name
    assert "field-error" not in name
    assert re.search(r'value="know_how" checked', html)
    # the summary links to the fields
    assert 'href="#f-partners-0-country"' in html
    assert 'id="error-summary"' in html


def test_stale_etag_keeps_the_entries_and_says_why() -> None:
    apis = draft_apis(etag='"4"')
    apis.on("PUT", "intake", P + "/content", problem(412, detail="the resource changed since you read it"))
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(f"/proposals/{PROPOSAL_ID}/edit/project",
                           data={"csrf_token": csrf(client), "etag": '"3"', "details.acronym": "NEWER"})  # fmt: skip
    assert page.status_code == 409
    assert "changed elsewhere" in page.text
    assert 'value="NEWER"' in page.text
    assert "&#34;4&#34;" in page.text  # saving again applies the entries to the current draft


def test_add_partner_renders_another_block_without_saving() -> None:
    apis = draft_apis(FULL_CONTENT)
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/edit/partners")
        assert 'data-testid="add-partner"' in page.text
        assert 'id="f-partners-1-name"' not in page.text
        added = client.post(f"/proposals/{PROPOSAL_ID}/edit/partners",
                            data={"csrf_token": csrf(client), "etag": '"3"', "action": "add_partner",
                                  "partners.0.partner_id": PARTNER_ID, "partners.0.name": "Partner Institute 6312",
                                  "partners.0.country": "KR"})  # fmt: skip
    assert added.status_code == 200
    assert 'id="f-partners-1-name"' in added.text
    assert 'value="Partner Institute 6312"' in added.text
    assert put_requests(apis) == []
    assert "<label" in added.text
    assert 'for="f-partners-1-name"' in added.text


def test_partners_and_researchers_nested_rows_become_the_documents_lists() -> None:
    apis = draft_apis(FULL_CONTENT)
    apis.on("PUT", "intake", P + "/content", with_etag(proposal()))
    with portal(APPLICANT, apis) as (client, _):
        client.post(
            f"/proposals/{PROPOSAL_ID}/edit/partners",
            data={"csrf_token": csrf(client), "etag": '"3"', "action": "save",
                  "partners.0.partner_id": PARTNER_ID, "partners.0.name": "Partner Institute 6312",
                  "partners.0.aliases": "PI 6312, Institute 6312", "partners.0.country": "kr",
                  "partners.0.ownership_control_countries": "cn", "partners.0.partner_type": "university",
                  "partners.0.role": "beneficiary", "partners.0.budget_share_percent": "20",
                  "partners.0.identifiers.pic": "123456789",
                  "partners.0.owners_and_controllers.0.name": "Holding Ltd",
                  "partners.0.owners_and_controllers.0.country": "CN",
                  "partners.0.owners_and_controllers.0.kind": "shareholder",
                  "partners.0.owners_and_controllers.0.decisive_influence": "true",
                  "partners.0.owners_and_controllers.1.name": "", "partners.0.owners_and_controllers.1.country": "",
                  # a blank partner block (as "add a partner" leaves it) is not sent
                  "partners.1.name": "", "partners.1.country": "", "partners.1.budget_share_percent": ""},
        )  # fmt: skip
    partners = json.loads(put_requests(apis)[0].content)["partners"]
    assert partners == [{
        "partner_id": PARTNER_ID, "name": "Partner Institute 6312", "aliases": ["PI 6312", "Institute 6312"],
        "identifiers": {"pic": "123456789"}, "country": "KR", "ownership_control_countries": ["CN"],
        "partner_type": "university", "role": "beneficiary", "budget_share_percent": "20",
        "owners_and_controllers": [{"name": "Holding Ltd", "country": "CN", "kind": "shareholder",
                                    "decisive_influence": True}],
        "shares": [], "declared_end_use": "",
    }]  # fmt: skip


def test_researchers_step_shows_one_block_for_the_principal_investigator() -> None:
    apis = draft_apis()
    apis.on("PUT", "intake", P + "/content", with_etag(proposal()))
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/edit/researchers")
        assert 'id="f-researchers-0-full_name"' in page.text
        assert 'id="f-researchers-1-full_name"' not in page.text
        client.post(f"/proposals/{PROPOSAL_ID}/edit/researchers",
                    data={"csrf_token": csrf(client), "etag": '"3"', "action": "continue",
                          "researchers.0.full_name": "Dr. Zoë Ångström", "researchers.0.role_in_project": "PI",
                          "researchers.0.current_appointments.0.organisation": "Demo University",
                          "researchers.0.current_appointments.0.country": "NL",
                          "researchers.0.current_appointments.0.position": "Professor",
                          "researchers.0.talent_programmes.0.name": "",
                          "researchers.0.outside_support.0.source": ""})  # fmt: skip
    (researcher,) = json.loads(put_requests(apis)[0].content)["researchers"]
    assert researcher == {
        "full_name": "Dr. Zoë Ångström", "role_in_project": "PI",
        "current_appointments": [{"organisation": "Demo University", "country": "NL", "position": "Professor"}],
        "talent_programmes": [], "outside_support": [],
    }  # fmt: skip


# --------------------------------------------------------------------------------- questionnaire


def test_questionnaire_shows_follow_ups_only_as_answers_require() -> None:
    content = copy.deepcopy(FULL_CONTENT)
    content["self_assessment"]["answers"] = {"dual_use_items": True, "dual_use_categories": ["3"],
                                             "export_licence_needed": "no"}  # fmt: skip
    apis = draft_apis(content)
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/edit/self-assessment")
    html = page.text
    assert 'id="f-answers-dual_use_categories-1"' in html  # follow-up of "yes"
    assert 'id="f-answers-dual_use_description"' in html
    assert 'id="f-answers-category_six_detail"' not in html  # only when category 6 is included
    assert 'id="f-answers-export_licence_status"' not in html  # only when "yes"
    assert '<div id="q-export_licence_status" class="q-slot"></div>' in html  # the slot htmx fills
    # answers that control others re-render their dependants via htmx; others do not
    assert 'hx-post="/proposals/' + PROPOSAL_ID + '/edit/self-assessment/questions?changed=dual_use_items"' in html
    assert "changed=military_end_use" not in html
    assert re.search(r'<option value="true" selected>Yes</option>', html)


def test_htmx_fragment_swaps_in_the_follow_ups_of_the_changed_answer_only() -> None:
    apis = draft_apis(FULL_CONTENT)
    with portal(APPLICANT, apis) as (client, _):
        fragment = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/self-assessment/questions?changed=export_licence_needed",
            data={"answers.dual_use_items": "false", "answers.export_licence_needed": "yes"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
        hidden_again = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/self-assessment/questions?changed=dual_use_items",
            data={"answers.dual_use_items": "false", "answers.dual_use_categories": "6"},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)},
        )
    assert fragment.status_code == 200
    assert 'id="q-export_licence_status"' in fragment.text
    assert 'hx-swap-oob="true"' in fragment.text
    assert 'id="f-answers-export_licence_status"' in fragment.text
    assert "q-dual_use_items" not in fragment.text
    assert "q-military_end_use" not in fragment.text
    # "no" empties the follow-ups, the follow-up of a follow-up included
    for qid in ("dual_use_categories", "dual_use_description", "category_six_detail"):
        assert f'<div id="q-{qid}" class="q-slot" hx-swap-oob="true"></div>' in hidden_again.text
    assert put_requests(apis) == []


def test_saving_answers_drops_hidden_follow_ups_and_stays_when_new_questions_appear() -> None:
    apis = draft_apis(FULL_CONTENT)
    apis.on("PUT", "intake", P + "/content", with_etag(proposal()))
    with portal(APPLICANT, apis) as (client, _):
        # without JavaScript: "yes" to export licences brings up a question that was not on the page
        stays = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/self-assessment",
            data={"csrf_token": csrf(client), "etag": '"3"', "action": "continue",
                  "shown": ["dual_use_items", "export_licence_needed", "military_end_use"],
                  "answers.dual_use_items": "false", "answers.dual_use_categories": "3",
                  "answers.export_licence_needed": "yes", "answers.military_end_use": "false"},
        )  # fmt: skip
        moves_on = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/self-assessment",
            data={"csrf_token": csrf(client), "etag": '"3"', "action": "continue",
                  "shown": ["dual_use_items", "export_licence_needed", "military_end_use"],
                  "answers.dual_use_items": "false", "answers.export_licence_needed": "no",
                  "answers.military_end_use": "true"},
        )  # fmt: skip
    first, second = (json.loads(r.content)["self_assessment"] for r in put_requests(apis))
    assert first == {
        "questionnaire_version": 1,
        "answers": {"dual_use_items": False, "export_licence_needed": "yes", "military_end_use": False},
    }  # category dropped
    assert stays.headers["location"] == f"/proposals/{PROPOSAL_ID}/edit/self-assessment?saved=more"
    assert second["answers"]["military_end_use"] is True
    assert moves_on.headers["location"] == f"/proposals/{PROPOSAL_ID}/edit/attachments"


def test_questionnaire_error_from_the_api_is_shown_at_the_question() -> None:
    apis = draft_apis(FULL_CONTENT)
    apis.on(
        "PUT",
        "intake",
        P + "/content",
        problem(
            422, [{"pointer": "/self_assessment/answers/dual_use_description", "message": "at most 4000 characters"}]
        ),
    )
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(
            f"/proposals/{PROPOSAL_ID}/edit/self-assessment",
            data={"csrf_token": csrf(client), "etag": '"3"', "answers.dual_use_items": "true",
                  "answers.dual_use_description": "x" * 10, "answers.export_licence_needed": "no"},
        )  # fmt: skip
    assert page.status_code == 422
    block = field_block(page.text, "f-answers-dual_use_description")
    assert "at most 4000 characters" in block
    assert "x" * 10 in block


# ---------------------------------------------------------------------------------- attachments


def test_attachment_upload_is_forwarded_as_multipart_and_lists_again() -> None:
    apis = draft_apis()
    apis.on("POST", "intake", P + "/attachments", httpx.Response(201, json=ATTACHMENT))
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/edit/attachments")
        assert "<progress" in page.text
        assert 'hx-encoding="multipart/form-data"' in page.text
        answer = client.post(f"/proposals/{PROPOSAL_ID}/attachments", data={"kind": "export_licence"},
                             files={"file": ("licence.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                             headers={"HX-Request": "true", "X-CSRF-Token": csrf(client)})  # fmt: skip
    assert answer.status_code == 200
    assert 'id="attachments"' in answer.text
    assert "licence.pdf is uploaded" in answer.text
    upload = next(r for r in apis.calls if r.method == "POST" and r.url.path == P + "/attachments")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert b'name="kind"\r\n\r\nexport_licence' in upload.content
    assert b"%PDF-1.4" in upload.content


# --------------------------------------------------------------------------- review and submit


def test_completeness_check_lists_what_is_missing_with_links_to_the_steps() -> None:
    content = copy.deepcopy(FULL_CONTENT)
    content["details"]["abstract"] = None
    content["details"]["keywords"] = []
    content["researchers"] = []
    content["self_assessment"]["answers"] = {"dual_use_items": True, "export_licence_needed": "no",
                                             "military_end_use": False}  # fmt: skip
    apis = draft_apis(content)
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/review")
    html = page.text
    assert 'data-testid="submit-proposal"' not in html
    missing = html[html.index('data-testid="missing-items"') :]
    missing = missing[: missing.index("</ul>")]
    assert "An abstract is required." in missing
    assert "At least one keyword is required." in missing
    assert "Disclose at least the principal investigator." in missing
    assert "Which Annex I categories?" in missing
    assert "Describe the dual-use items." in missing
    assert "Which lasers?" not in missing  # not required, and hidden
    assert f"/proposals/{PROPOSAL_ID}/edit/project" in missing
    assert f"/proposals/{PROPOSAL_ID}/edit/researchers" in missing
    assert f"/proposals/{PROPOSAL_ID}/edit/self-assessment#q-dual_use_categories" in missing


def test_complete_proposal_is_submitted_with_an_idempotency_key() -> None:
    apis = draft_apis(FULL_CONTENT)
    submitted = {"proposal_id": PROPOSAL_ID, "status": "submitted", "version": VERSIONS[0]}
    apis.on("POST", "intake", P + "/submit", httpx.Response(201, json=submitted))
    with portal(APPLICANT, apis) as (client, _):
        review = client.get(f"/proposals/{PROPOSAL_ID}/review")
        assert 'data-testid="complete"' in review.text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', review.text).group(1)
        done = client.post(
            f"/proposals/{PROPOSAL_ID}/submit", data={"csrf_token": csrf(client), "idempotency_key": key}
        )
    assert done.status_code == 303
    assert done.headers["location"] == f"/proposals/{PROPOSAL_ID}?done=submitted"
    submit = next(r for r in apis.calls if r.url.path == P + "/submit")
    assert submit.headers["Idempotency-Key"] == key


def test_refused_submission_shows_intakes_reasons() -> None:
    apis = draft_apis(FULL_CONTENT)
    apis.on("POST", "intake", P + "/submit", problem(422, [
        {"pointer": "/organisation/security_contact",
         "message": "your organisation's profile must answer this before submitting"}],
        detail="the proposal is not complete: 1 item(s) missing or invalid", title="Proposal incomplete"))  # fmt: skip
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(
            f"/proposals/{PROPOSAL_ID}/submit", data={"csrf_token": csrf(client), "idempotency_key": "k"}
        )
    assert page.status_code == 422
    assert "the proposal is not complete" in page.text
    assert "research-security profile is incomplete" in page.text


def test_withdrawal_needs_confirmation() -> None:
    apis = draft_apis(FULL_CONTENT, "submitted")
    apis.on("POST", "intake", P + "/withdraw", proposal("withdrawn", FULL_CONTENT))
    with portal(APPLICANT, apis) as (client, _):
        unconfirmed = client.post(f"/proposals/{PROPOSAL_ID}/withdraw", data={"csrf_token": csrf(client)})
        confirmed = client.post(
            f"/proposals/{PROPOSAL_ID}/withdraw",
            data={"csrf_token": csrf(client), "confirm": "yes", "reason": "Consortium ended"},
        )
    assert unconfirmed.status_code == 422
    assert apis.sent("POST", P + "/withdraw") == [{"reason": "Consortium ended"}]
    assert confirmed.headers["location"] == f"/proposals/{PROPOSAL_ID}?done=withdrawn"


# -------------------------------------------------------------------------------- proposal page


def test_detail_page_shows_status_requests_and_safeguards_to_answer() -> None:
    with portal(APPLICANT, detail_apis()) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}")
    html = page.text
    assert re.search(r'data-testid="proposal-status">Information requested<', html)
    assert "Please describe the partner&#39;s ownership." in html
    assert 'data-testid="answer-request"' in html
    assert 'data-testid="accept-safeguard-M-1"' in html
    assert "Technology control plan" in html
    assert 'for="f-request-' + REQUEST_ID + '"' in html  # the answer has a label


def test_answering_an_information_request() -> None:
    apis = detail_apis()
    path = P + f"/information-requests/{REQUEST_ID}/response"
    apis.on("POST", "intake", path, {**INFORMATION_REQUEST, "response": "Owned by the state.",
                                     "responded_at": "2026-12-07T10:00:00Z"})  # fmt: skip
    with portal(APPLICANT, apis) as (client, _):
        empty = client.post(
            f"/proposals/{PROPOSAL_ID}/information-requests/{REQUEST_ID}/response",
            data={"csrf_token": csrf(client), "response": "  "},
        )
        done = client.post(
            f"/proposals/{PROPOSAL_ID}/information-requests/{REQUEST_ID}/response",
            data={"csrf_token": csrf(client), "response": " Owned by the state. "},
        )
    assert empty.status_code == 422
    assert "Write your answer" in empty.text
    assert apis.sent("POST", path) == [{"response": "Owned by the state."}]
    assert done.headers["location"].startswith(f"/proposals/{PROPOSAL_ID}?done=answered")


def test_accepting_and_contesting_a_safeguard() -> None:
    apis = detail_apis()
    path = P + "/safeguards/M-1/responses"
    apis.on("POST", "intake", path, httpx.Response(202, json={"measure_status": "accepted"}))
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}")
        form = page.text[page.text.index('name="kind" value="accept"') - 400 :]
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
        accepted = client.post(
            f"/proposals/{PROPOSAL_ID}/safeguards/M-1/responses",
            data={"csrf_token": csrf(client), "kind": "accept", "idempotency_key": key},
        )
        no_reason = client.post(
            f"/proposals/{PROPOSAL_ID}/safeguards/M-1/responses",
            data={"csrf_token": csrf(client), "kind": "request_change", "text": ""},
        )
        client.post(f"/proposals/{PROPOSAL_ID}/safeguards/M-1/responses",
                    data={"csrf_token": csrf(client), "kind": "submit_evidence", "text": "Signed plan attached.",
                          "evidence": [ATTACHMENT["id"]], "idempotency_key": "k-2"})  # fmt: skip
    assert accepted.status_code == 303
    sent = [r for r in apis.calls if r.url.path == path]
    assert [json.loads(r.content) for r in sent] == [
        {"kind": "accept", "text": "We accept this measure.", "evidence": []},
        {"kind": "submit_evidence", "text": "Signed plan attached.", "evidence": [ATTACHMENT["id"]]},
    ]
    assert sent[0].headers["Idempotency-Key"] == key
    assert sent[1].headers["Idempotency-Key"] == "k-2"
    assert no_reason.status_code == 422
    assert "Give a reason" in no_reason.text


def test_a_refused_safeguard_response_is_explained() -> None:
    apis = detail_apis()
    apis.on(
        "POST",
        "intake",
        P + "/safeguards/M-1/responses",
        problem(409, detail="measure M-1 is accepted: it cannot take a response of kind 'accept'"),
    )
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(
            f"/proposals/{PROPOSAL_ID}/safeguards/M-1/responses", data={"csrf_token": csrf(client), "kind": "accept"}
        )
    assert page.status_code == 409
    assert "cannot take a response of kind" in page.text


# ------------------------------------------------------------------------------------- versions


def test_versions_show_the_differences_readably() -> None:
    apis = detail_apis(versions=VERSIONS)
    apis.on("GET", "intake", P + "/versions/1/diff/2", DIFF)
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(f"/proposals/{PROPOSAL_ID}/versions")
    html = page.text
    assert "Differences from version 1 to version 2" in html
    assert "Content \u203a Project \u203a Title" in html
    assert "<del><pre>Secure photonic sensing</pre></del>" in html
    assert "<ins><pre>Secure photonic sensing networks</pre></ins>" in html
    # the kind of change is said in words, not by colour only
    for op in ("Changed", "Removed", "Added"):
        assert f"<td>{op}</td>" in html
    assert PARTNER_ID in html
    assert "Partner Institute 6312" in html


# --------------------------------------------------------------------------------------- grants


def grant_apis() -> FakeApis:
    apis = FakeApis()
    apis.on("GET", "monitoring", "/v1/grants", {"items": [GRANT], "total": 1, "limit": 50, "offset": 0})
    apis.on("GET", "monitoring", f"/v1/grants/{GRANT_REFERENCE}", GRANT)
    apis.on("GET", "monitoring", "/v1/incidents", {"items": [], "total": 0, "limit": 50, "offset": 0})
    apis.on("GET", "monitoring", "/v1/incident-types", INCIDENT_TYPES)
    apis.on("GET", "intake", P + "/attachments", [{**ATTACHMENT, "frozen_in_version": 1}])
    return apis


def test_grants_never_show_the_risk_level() -> None:
    with portal(APPLICANT, grant_apis()) as (client, _):
        listing = client.get("/grants")
        page = client.get(f"/grants/{GRANT_REFERENCE}")
    assert GRANT_REFERENCE in listing.text
    assert "Technology control plan" in page.text
    for html in (listing.text, page.text):
        assert ">high<" not in html.lower()
        assert "level" not in html.lower()


def test_grant_attestation_is_sent_to_monitoring() -> None:
    apis = grant_apis()
    path = f"/v1/grants/{GRANT_REFERENCE}/attestations"
    apis.on("POST", "monitoring", path, httpx.Response(201, json={**GRANT["attestations"][0], "status": "submitted"}))
    with portal(APPLICANT, apis) as (client, _):
        both = client.post(
            f"/grants/{GRANT_REFERENCE}/attestations",
            data={"csrf_token": csrf(client), "period": "1", "no_change": "true", "changes": "funding"},
        )
        done = client.post(f"/grants/{GRANT_REFERENCE}/attestations",
                           data={"csrf_token": csrf(client), "period": "1", "changes": ["funding", "new_partner"],
                                 "statement": "A new funder joined.", "evidence": ATTACHMENT["id"]})  # fmt: skip
    assert both.status_code == 422
    assert "not both" in both.text
    expected = {"period": 1, "no_change": False, "changes": ["funding", "new_partner"],
                "statement": "A new funder joined.", "evidence": [ATTACHMENT["id"]]}  # fmt: skip
    assert apis.sent("POST", path) == [expected]
    assert done.headers["location"].startswith(f"/grants/{GRANT_REFERENCE}?done=attested")


def test_obligation_evidence_is_sent_to_monitoring() -> None:
    apis = grant_apis()
    path = f"/v1/grants/{GRANT_REFERENCE}/obligations/M-1/evidence"
    apis.on("POST", "monitoring", path, {**GRANT["obligations"][0], "status": "evidence_submitted"})
    with portal(APPLICANT, apis) as (client, _):
        client.post(
            f"/grants/{GRANT_REFERENCE}/obligations/M-1/evidence",
            data={"csrf_token": csrf(client), "text": "Plan signed.", "attachments": ATTACHMENT["id"]},
        )
    assert apis.sent("POST", path) == [{"text": "Plan signed.", "attachments": [ATTACHMENT["id"]]}]


def test_incident_report() -> None:
    apis = grant_apis()
    apis.on("POST", "monitoring", "/v1/incidents", httpx.Response(201, json={"reference": "INC-2027-0004"}))
    with portal(APPLICANT, apis) as (client, _):
        form = client.get(f"/grants/{GRANT_REFERENCE}/incidents/new")
        assert "Suspicious approach" in form.text
        assert 'for="f-title"' in form.text
        done = client.post(f"/grants/{GRANT_REFERENCE}/incidents/new",
                           data={"csrf_token": csrf(client), "type": "suspicious_approach", "severity": "high",
                                 "title": "Request for lab access", "description": "A visitor asked for data.",
                                 "occurred_at": "2027-02-01T09:30"})  # fmt: skip
    assert apis.sent("POST", "/v1/incidents") == [{
        "grant_reference": GRANT_REFERENCE, "type": "suspicious_approach", "severity": "high",
        "title": "Request for lab access", "description": "A visitor asked for data.",
        "occurred_at": "2027-02-01T09:30:00Z"}]  # fmt: skip
    assert done.headers["location"] == f"/grants/{GRANT_REFERENCE}?done=reported&incident=INC-2027-0004"


def test_incident_report_errors_are_shown_beside_the_fields() -> None:
    apis = grant_apis()
    apis.on(
        "POST",
        "monitoring",
        "/v1/incidents",
        problem(422, [{"pointer": "/title", "message": "String should have at least 3 characters"}]),
    )
    with portal(APPLICANT, apis) as (client, _):
        page = client.post(
            f"/grants/{GRANT_REFERENCE}/incidents/new",
            data={"csrf_token": csrf(client), "type": "other", "title": "ab", "description": "x"},
        )
    assert page.status_code == 422
    block = field_block(page.text, "f-title")
    assert "at least 3 characters" in block
    assert 'value="ab"' in block


# ------------------------------------------------------------------------------ no appraisal calls


@pytest.mark.parametrize(
    "url",
    [
        "/proposals", "/proposals/new", f"/proposals/{PROPOSAL_ID}", f"/proposals/{PROPOSAL_ID}/review",
        f"/proposals/{PROPOSAL_ID}/versions", f"/proposals/{PROPOSAL_ID}/withdraw", "/grants",
        f"/grants/{GRANT_REFERENCE}", f"/grants/{GRANT_REFERENCE}/incidents/new",
        *(f"/proposals/{PROPOSAL_ID}/edit/{s}" for s in ("project", "partners", "researchers", "self-assessment",
                                                          "attachments")),
    ],
)  # fmt: skip
def test_no_applicant_page_calls_appraisal(url: str) -> None:
    apis = detail_apis(status="draft", versions=VERSIONS)
    apis.routes.update(grant_apis().routes)
    apis.on("GET", "intake", P, with_etag(proposal("draft", FULL_CONTENT)))
    apis.on("GET", "intake", "/v1/proposals", {"items": [proposal()], "total": 1, "limit": 25, "offset": 0})
    apis.on("GET", "intake", "/v1/calls", [CALL])
    apis.on("GET", "intake", P + "/versions/1/diff/2", DIFF)
    with portal(APPLICANT, apis) as (client, _):
        page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert apis.calls, "the page called no API at all"
    called = [str(r.url) for r in apis.calls]
    assert not [u for u in called if u.startswith(SETTINGS.appraisal_url)], called
    assert all(u.startswith((SETTINGS.intake_url, SETTINGS.monitoring_url)) for u in called), called


# ------------------------------------------------------------------------------------- catalogue


def _keys(node: object, prefix: str = "") -> set[str]:
    if isinstance(node, dict):
        return set().union(*(_keys(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in node.items()))
    return {prefix}


def test_every_applicant_text_exists_in_english_french_and_german() -> None:
    from pathlib import Path

    import yaml

    import rsc_portal

    data = Path(rsc_portal.__file__).parent / "i18n" / "data"
    keys = {
        lang: _keys(yaml.safe_load((data / lang / "applicant.yaml").read_text("utf-8"))) for lang in ("en", "fr", "de")
    }
    assert keys["fr"] == keys["en"]
    assert keys["de"] == keys["en"]
    # every key a template or module names literally is in the catalogue
    src = Path(rsc_portal.__file__).parent
    used = set()
    for path in [*(src / "templates" / "applicant").glob("*.html"), *(src / "applicant").glob("*.py")]:
        used |= set(re.findall(r"""["'](applicant\.[a-z_]+\.[a-z_\-]+)["']""", path.read_text("utf-8")))
    assert {k.removeprefix("applicant.") for k in used if not k.endswith("_")} - keys["en"] == set()
