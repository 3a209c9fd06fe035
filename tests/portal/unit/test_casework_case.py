"""The case page: summary, the screening explained factor by factor, matches with their review forms,
which action forms appear for whom (four-eyes), notes and policies."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx

from tests.portal.pages import FakeApis, csrf, portal
from tests.portal.unit.test_casework_fixtures import (
    CASE_ID,
    PARTNER_ORG,
    POLICIES,
    SAFEGUARD_CATALOGUE,
    SCREENING_ID,
    case,
    subject_of,
    with_case,
)

URL = f"/cases/{CASE_ID}"


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    end = html.find("<section id=", start + 10)
    return html[start : end if end > 0 else len(html)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def test_case_page_explains_the_screening_factor_by_factor() -> None:
    apis = FakeApis()
    with_case(apis, case())
    with portal(["case_officer"], apis) as (client, _):
        page = client.get(URL)
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="case-status" data-status="open"' in html
    explanation = html[html.index('data-testid="screening-explanation"') : html.index('id="matches"')]
    text = _text(explanation)
    # the four categories in the Recommendation's order, each with its level
    positions = [
        text.index(c) for c in ("Applicant organisation", "Research domain", "Third country", "Partner organisation")
    ]
    assert positions == sorted(positions)
    assert "No flag in this category." in _text(_section(html, "factor-applicant_organisation"))
    # flags with their evidence
    partner = _text(_section(html, "factor-partner_organisation"))
    assert "A partner or its owner/controller may be on the funder's watch list" in partner
    assert "Needs a person" in partner
    assert "Partner 2: Northbridge Institut for Applied Photonics" in partner  # subject named, position from pointer
    assert "Listed entry Northbridge Institute of Applied Photonics on demo-funder-watchlist" in partner
    assert "score 0.99" in partner
    assert "export.risk, mil" in partner
    # classifier phrases and confidence
    domain = _section(html, "factor-research_domain")
    assert 'data-testid="classifier-phrases"' in domain
    assert '<q class="phrase">quantum key distribution</q>' in domain
    assert "confidence 94 %" in _text(domain)
    # country indicator evidence
    assert "GB · eu_member_state = False" in _text(_section(html, "factor-third_country"))
    # recommended safeguards with the flags that call for them
    assert 'data-measure-id="compartmentalisation"' in explanation
    assert "Called for by: A partner or its owner/controller may be on the funder's watch list" in text
    assert "not for real decisions" in text  # screening warnings shown
    # SLA and four-eyes in the summary, with words
    assert "On track" in _text(_section(html, "summary"))
    assert "Yes, a second reviewer confirms" in html


def test_matches_show_scores_features_and_review_buttons_with_the_organisation() -> None:
    apis = FakeApis()
    with_case(apis, case())
    with portal(["case_officer"], apis) as (client, _):
        html = client.get(URL).text
    matches = _section(html, "matches")
    assert 'data-testid="match-score">0.99' in matches
    assert "name.tokens" in matches
    assert "name.fuzzy" in matches
    assert f'name="organisation_id" value="{PARTNER_ORG}"' in matches  # from GET /v1/screenings/{id}
    assert 'name="entry_id" value="demo-wl-0001"' in matches
    assert 'data-testid="match-confirm"' in matches
    assert 'data-testid="match-false-positive"' in matches
    assert "Not reviewed yet" in matches
    assert any(r.url.path == f"/v1/screenings/{SCREENING_ID}" for r in apis.calls)


def test_a_recorded_match_decision_is_shown_latest_first() -> None:
    decisions = [
        {
            "id": "a",
            "organisation_id": PARTNER_ORG,
            "list_key": "demo-funder-watchlist",
            "entry_id": "demo-wl-0001",
            "decision": "confirmed",
            "reason": "old",
            "decided_by": "x",
            "decided_at": "2026-12-01T10:00:00Z",
        },
        {
            "id": "b",
            "organisation_id": PARTNER_ORG,
            "list_key": "demo-funder-watchlist",
            "entry_id": "demo-wl-0001",
            "decision": "false_positive",
            "reason": "Different institute in another country",
            "decided_by": "x",
            "decided_at": "2026-12-02T10:00:00Z",
        },
    ]
    apis = FakeApis()
    with_case(apis, case(match_decisions=decisions))
    with portal(["case_officer"], apis) as (client, _):
        matches = _text(_section(client.get(URL).text, "matches"))
    assert "False positive" in matches
    assert "Different institute in another country" in matches
    assert "Not reviewed yet" not in matches


def test_an_unassigned_officer_sees_the_claim_button_and_no_work_forms() -> None:
    apis = FakeApis()
    with_case(apis, case())
    with portal(["case_officer"], apis) as (client, _):
        html = client.get(URL).text
    assert 'data-testid="claim-case"' in html
    assert 'name="role" value="case_officer"' in html
    assert "Claim this case as Case officer" in html
    for testid in ("request-information", "record-appraisal", "submit-decision", "confirm-decision"):
        assert f'data-testid="{testid}"' not in html
    assert "Claim the case to work on it." in html


def test_the_assigned_officer_gets_the_work_forms_and_the_safeguard_builder() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        me = subject_of(client)
        with_case(apis, case("in_review", [{"subject": me, "role": "case_officer"}]))
        html = client.get(URL).text
        token = csrf(client)
    post_forms = re.findall(r'<form method="post".*?</form>', html, re.S)
    assert len(post_forms) >= 5
    assert all(f'name="csrf_token" value="{token}"' in form for form in post_forms)
    assert 'data-testid="claim-case"' not in html
    for testid in ("request-information", "record-appraisal", "submit-decision"):
        assert f'data-testid="{testid}"' in html
    assert 'data-testid="confirm-decision"' not in html
    builder = html[html.index('data-testid="safeguard-builder"') : html.index('data-testid="submit-decision"')]
    # recommended measures first, then the other measures of the catalogue
    assert builder.index("measure-option-compartmentalisation") < builder.index("measure-option-training")
    assert 'data-testid="measure-option-data_ip_transfer_plan"' in builder
    assert builder.count('data-testid="measure-option-compartmentalisation"') == 1  # not listed twice
    assert apis.sent("GET", "/v1/safeguard-catalogue")
    assert not apis.sent("GET", "/v1/reference-datasets")  # no more guessing from the policy document
    # every field has a visible label
    for field_id in (
        "f-info-message",
        "f-info-due",
        "f-decision-outcome",
        "f-decision-reason",
        "f-owner__compartmentalisation",
        "f-due__compartmentalisation",
        "f-evidence__compartmentalisation",
        "f-appraisal-summary",
        "f-appraisal-rationale-partner_organisation",
    ):
        assert f'<label for="{field_id}">' in html, field_id
    # the screening's category levels prefill the appraisal
    level = re.search(r'<select id="f-appraisal-level-partner_organisation".*?</select>', html, re.S).group(0)
    assert '<option value="medium" selected>' in level
    assert "Record the factor-by-factor appraisal first." in html  # four-eyes level, none recorded yet


def _options(html: str) -> list[str]:
    return re.findall(r'data-testid="measure-option-([^"]+)"', html)


def test_the_safeguard_builder_offers_the_whole_catalogue_recommended_measures_first() -> None:
    apis = FakeApis()
    with portal(["security_adviser"], apis) as (client, _):
        me = subject_of(client)
        with_case(apis, case("in_review", [{"subject": me, "role": "security_adviser"}]))
        html = client.get(URL).text
    builder = html[html.index('data-testid="safeguard-builder"') : html.index('data-testid="submit-decision"')]
    more = builder[builder.index('data-testid="catalogue-more"') :]
    recommended = builder[: builder.index('data-testid="catalogue-more"')]
    # the screening's order first, then the rest in catalogue order; every measure once
    assert _options(recommended) == ["compartmentalisation", "data_ip_transfer_plan"]
    assert _options(more) == ["self_assessment_annex", "export_control_classification", "training"]
    assert sorted(_options(builder)) == sorted(m["id"] for m in SAFEGUARD_CATALOGUE["measures"])
    assert "Other measures of the safeguard catalogue (3)" in more
    # marked as recommended by the screening, with the flag that calls for it; the others are not
    assert recommended.count(">Recommended</span>") == 2
    assert "Recommended" not in more
    assert "A partner or its owner/controller may be on the funder&#39;s watch list" in recommended
    # real titles, descriptions and how each is tracked, from the catalogue (no titles made up from ids)
    for measure in SAFEGUARD_CATALOGUE["measures"]:
        mid = measure["id"]
        option = builder[builder.index(f'data-testid="measure-option-{mid}"') :]
        option = option[: option.index("</fieldset>")]
        assert f'<label for="f-measure-{mid}">{measure["title"]}</label>' in option
        assert _text(option).count(measure["description"]) == 1
        assert f"Tracked as: {measure['tracked_as']}" in _text(option)
        assert f'<label for="f-owner__{mid}">' in option
    assert "Self assessment annex" not in html
    assert 'data-testid="catalogue-unavailable"' not in html


def test_the_builder_in_french_uses_the_catalogue_titles_and_the_translated_labels() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        me = subject_of(client)
        with_case(apis, case("in_review", [{"subject": me, "role": "case_officer"}]))
        html = client.get(URL, headers={"Accept-Language": "fr"}).text
    assert "Autres mesures du catalogue de sauvegardes (3)" in html
    assert "Preuve de mise en place: Certificates" in _text(html)
    assert 'data-testid="measure-option-training"' in html


def test_without_the_catalogue_the_builder_offers_the_recommended_measures_and_says_so() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        me = subject_of(client)
        with_case(apis, case("in_review", [{"subject": me, "role": "case_officer"}]))
        unavailable = {"title": "Service Unavailable", "status": 503, "detail": "down"}
        apis.on("GET", "appraisal", "/v1/safeguard-catalogue", httpx.Response(503, json=unavailable))
        page = client.get(URL)
    assert page.status_code == 200
    html = page.text
    builder = html[html.index('data-testid="safeguard-builder"') : html.index('data-testid="submit-decision"')]
    assert 'data-testid="catalogue-unavailable"' in builder
    assert _options(builder) == ["compartmentalisation", "data_ip_transfer_plan"]
    assert 'data-testid="catalogue-more"' not in builder
    # the screening's own titles are still shown
    assert '<label for="f-measure-data_ip_transfer_plan">Data, IP and technology-transfer plan</label>' in builder


def test_the_catalogue_is_only_fetched_for_someone_who_can_decide() -> None:
    apis = FakeApis()
    with_case(apis, case())
    with portal(["case_officer"], apis) as (client, _):
        html = client.get(URL).text
    assert 'data-testid="safeguard-builder"' not in html
    assert not apis.sent("GET", "/v1/safeguard-catalogue")


def test_four_eyes_confirm_form_is_only_for_the_second_reviewer() -> None:
    proposed = {
        "outcome": "cleared_with_safeguards",
        "reason": "Risks mitigated by the measures.",
        "appeal_path": None,
        "at": "2026-12-06T22:00:00Z",
    }
    decide = {
        "seq": 5,
        "action": "decide",
        "actor": "officer-sub",
        "actor_roles": ["case_officer"],
        "from_status": "in_review",
        "to_status": "awaiting_second_review",
        "summary": "decision proposed",
        "before": {},
        "after": {},
        "details": {"measures": ["compartmentalisation"]},
        "at": "2026-12-06T22:00:00Z",
    }
    apis = FakeApis()
    with portal(["security_adviser"], apis) as (client, _):
        me = subject_of(client)
        assignees = [{"subject": "officer-sub", "role": "case_officer"}, {"subject": me, "role": "security_adviser"}]
        body = case(
            "awaiting_second_review",
            assignees,
            state={"proposed_decision": {**proposed, "decided_by": ["officer-sub"]}},
        )
        body["timeline"].append(decide)
        with_case(apis, body)
        second = client.get(URL).text
        # the proposer sees no confirm form, only that a second reviewer has to confirm
        body = case("awaiting_second_review", assignees, state={"proposed_decision": {**proposed, "decided_by": [me]}})
        with_case(apis, body)
        proposer = client.get(URL).text
        # an adviser not assigned to the case: nothing to confirm
        with_case(
            apis,
            case(
                "awaiting_second_review",
                assignees[:1],
                state={"proposed_decision": {**proposed, "decided_by": ["officer-sub"]}},
            ),
        )
        outsider = client.get(URL).text
    assert 'data-testid="confirm-decision"' in second
    assert 'data-testid="return-decision"' in second
    assert "compartmentalisation" in _text(second[second.index('data-testid="proposed-decision"') :])
    assert 'data-testid="confirm-decision"' not in proposer
    assert "You proposed this decision; a second reviewer has to confirm it." in proposer
    assert 'data-testid="confirm-decision"' not in outsider


def test_measures_can_be_verified_once_accepted() -> None:
    measures = [
        {
            "measure_id": "compartmentalisation",
            "title": "Compartmentalisation",
            "owner": "Coordinator",
            "due_at": "2027-03-01T23:59:59Z",
            "evidence_required": "IT separation plan",
            "terms": None,
            "status": "accepted",
        },
        {
            "measure_id": "training",
            "title": "Research-security training",
            "owner": "PI",
            "due_at": "2027-03-01T23:59:59Z",
            "evidence_required": "Certificates",
            "terms": None,
            "status": "proposed",
        },
    ]
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        me = subject_of(client)
        with_case(apis, case("safeguards_pending", [{"subject": me, "role": "case_officer"}], measures=measures))
        html = client.get(URL).text
    assert 'data-testid="verify-measure-compartmentalisation"' in html
    assert 'data-testid="verify-measure-training"' not in html  # not accepted yet: revise instead
    assert 'data-testid="revise-measure-training"' in html
    assert 'data-testid="submit-decision"' not in html


def test_award_form_for_a_cleared_case_and_case_officers_only() -> None:
    apis = FakeApis()
    with_case(
        apis,
        case(
            "cleared",
            decision={
                "outcome": "cleared",
                "reason": "No risk left.",
                "appeal_path": None,
                "decided_by": ["a", "b"],
                "at": "2026-12-06T22:00:00Z",
            },
        ),
    )
    with portal(["case_officer"], apis) as (client, _):
        officer = client.get(URL).text
    with portal(["security_adviser"], apis) as (client, _):
        adviser = client.get(URL).text
    assert 'data-testid="award-grant"' in officer
    assert '<label for="f-award-reference">' in officer
    assert 'data-testid="award-grant"' not in adviser
    assert "Decision in effect" in officer


def test_notes_are_shown_and_need_to_know_is_explained() -> None:
    notes = [
        {
            "id": "n1",
            "author": "someone",
            "body": "Called the partner's compliance office.",
            "created_at": "2026-12-06T22:00:00Z",
        }
    ]
    apis = FakeApis()
    with portal(["security_adviser"], apis) as (client, _):
        with_case(apis, case(notes=notes))
        shown = client.get(URL).text
        with_case(apis, case(notes=None))
        hidden = client.get(URL).text
    assert "Called the partner&#39;s compliance office." in shown
    assert 'hx-post="/cases/' in shown
    assert 'data-testid="notes-need-to-know"' in hidden
    assert 'id="f-note-body"' not in hidden


def test_policies_list_versions_with_a_past_review_warning() -> None:
    old = {
        **POLICIES[0],
        "id": "p-old",
        "version_label": "2025.1",
        "status": "active",
        "review_by": (date.today() - timedelta(days=3)).isoformat(),
        "review_overdue": True,
    }
    draft = {
        **POLICIES[0],
        "id": "p-draft",
        "version_label": "2027.1",
        "status": "draft",
        "activated_at": None,
        "review_by": (date.today() + timedelta(days=300)).isoformat(),
    }
    entity_list = {
        **POLICIES[0],
        "id": "l1",
        "kind": "entity_list",
        "key": "demo-funder-watchlist",
        "title": "DEMO funder watch list",
        "review_by": None,
        "summary": {"entries": 5},
    }
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/reference-datasets", [draft, old, entity_list])
    with portal(["case_officer"], apis) as (client, _):
        page = client.get("/policies")
    assert page.status_code == 200
    html = page.text
    warning = html[html.index('data-testid="policy-review-warning"') :]
    assert "2025.1" in warning
    assert "was due for review" in warning
    old_row = re.search(r'<tr data-testid="policy-row" data-version="2025.1".*?</tr>', html, re.S).group(0)
    assert "Past its review date" in old_row
    assert "RSC default policy (example, adapt before use)" in old_row
    draft_row = re.search(r'<tr data-testid="policy-row" data-version="2027.1".*?</tr>', html, re.S).group(0)
    assert "Past its review date" not in draft_row
    assert "Not activated" in draft_row
    assert html.index('data-version="2025.1"') < html.index('data-version="2027.1"')  # active first
    assert "DEMO funder watch list" in html
    assert "No review date" in html
    assert '<th scope="col">' in html


def test_policies_without_overdue_review_show_no_warning_and_applicants_are_refused() -> None:
    apis = FakeApis()
    apis.on("GET", "appraisal", "/v1/reference-datasets", POLICIES)
    with portal(["admin"], apis) as (client, _):
        page = client.get("/policies")
    assert page.status_code == 200
    assert 'data-testid="policy-review-warning"' not in page.text
    with portal(["applicant"], apis) as (client, _):
        assert client.get("/policies").status_code == 403


def test_unknown_case_is_a_404_page() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        page = client.get(URL)
        bad = client.get("/cases/not-a-uuid")
    assert page.status_code == 404
    assert bad.status_code == 400
