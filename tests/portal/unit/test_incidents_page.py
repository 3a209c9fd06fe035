"""The incident page: what it shows (type, source, grant, deadlines, measures, need-to-know evidence,
assignees, history) and only the action forms the incident's state allows."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest

from tests.portal.pages import FakeApis, portal
from tests.portal.unit.test_incidents_fixtures import (
    INCIDENT_ID,
    MEASURE_ID,
    OTHER_OFFICER,
    incident,
    iso,
    measure,
    subject_of,
    with_incident,
)

URL = f"/incidents/{INCIDENT_ID}"
ACTION_IDS = ("triage-incident", "start-investigation", "add-measure", "close-incident", "dismiss-incident")


def _page(roles: list[str], detail_for, url: str = URL):  # type: ignore[no-untyped-def]
    """GET the page; `detail_for(subject)` builds the API answer for the signed-in user."""
    apis = FakeApis()
    with portal(roles, apis) as (client, _):
        with_incident(apis, detail_for(subject_of(client)))
        response = client.get(url)
    return response, apis


def _actions(html: str) -> set[str]:
    return {a for a in ACTION_IDS if f'data-testid="{a}"' in html}


def test_the_page_shows_the_incident_and_its_deadlines_in_words() -> None:
    response, apis = _page(
        ["case_officer"],
        lambda me: incident(
            "reported", [me], triage_due_at=iso(timedelta(days=-1, hours=-2)), channel="tip", grant_reference=None,
        ),
    )  # fmt: skip
    assert response.status_code == 200
    html = response.text
    assert "INC-2026-1A2B3C4D" in html
    assert "Visitor asked for lab access" in html
    assert 'data-testid="incident-status" data-status="reported"' in html
    assert "Suspicious approach" in re.search(r'data-testid="incident-type">(.*?)</dd>', html).group(1)
    assert "Confidential tip" in re.search(r'data-testid="incident-source">(.*?)</dd>', html).group(1)
    assert "No grant named" in html
    triage = re.search(r'<tr data-testid="deadline-triage".*?</tr>', html, re.S).group(0)
    assert 'data-deadline="overdue"' in triage
    assert "Overdue" in triage
    assert "2 day(s) past the due date" in triage
    assert "cleanroom and its process recipes" in html  # the description, from the evidence the API returned
    assert [r.url.path for r in apis.calls] == [f"/v1/incidents/{INCIDENT_ID}"]


def test_measures_history_assignees_and_evidence_are_shown() -> None:
    detail = incident(
        "measures",
        [OTHER_OFFICER],
        grant_reference="GA-2026-0042",
        measures=[measure("in_progress", due_at=iso(timedelta(days=-3, hours=1)))],
        evidence=[
            {"id": "e1", "kind": "description", "body": "What happened.", "attachments": [], "added_by": None,
             "added_at": iso(timedelta(days=-9))},
            {"id": "e2", "kind": "evidence", "body": "Visitor log of 3 March.", "attachments": ["a1", "a2"],
             "added_by": OTHER_OFFICER, "added_at": iso(timedelta(days=-2))},
        ],
        timeline=[
            {"seq": 1, "action": "report", "actor": "grantee channel", "from_status": "reported",
             "to_status": "reported", "summary": "reported: x", "at": iso(timedelta(days=-9))},
            {"seq": 2, "action": "triage", "actor": OTHER_OFFICER, "from_status": "reported",
             "to_status": "triaged", "summary": "triaged as high: credible", "at": iso(timedelta(days=-8))},
        ],
    )  # fmt: skip
    response, _ = _page(["security_adviser"], lambda me: detail)
    html = response.text
    assert "GA-2026-0042" in html
    m = re.search(r'<article class="card measure".*?</article>', html, re.S).group(0)
    assert "Corrective action plan" in m
    assert 'data-status="in_progress"' in m
    assert "In progress" in m
    assert "Overdue" in m
    assert "3 day(s) past the due date" in m
    assert "Measure: Corrective action plan" in html  # in the deadlines table too
    assert "Visitor log of 3 March." in html
    assert "2 attachment(s)" in html
    assert "an anonymous source" in html
    history = re.search(r'<table data-testid="incident-history">.*?</table>', html, re.S).group(0)
    assert history.index("triaged as high") < history.index("reported: x")  # newest first
    assert "Reported → Triaged" in history
    assert OTHER_OFFICER in re.search(r'data-testid="incident-assignees">.*?</ul>', html, re.S).group(0)


def test_withheld_evidence_is_announced_not_shown() -> None:
    response, _ = _page(
        ["case_officer"], lambda me: incident("triaged", [OTHER_OFFICER], evidence=[], evidence_withheld=3)
    )
    html = response.text
    assert 'data-testid="description-withheld"' in html
    assert "3 entry(ies) withheld" in html
    assert "cleanroom" not in html
    assert 'data-testid="add-evidence"' not in html  # not assigned: the API would refuse
    assert "Only the people assigned and security advisers add evidence." in html


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("reported", {"triage-incident", "dismiss-incident"}),
        ("triaged", {"start-investigation", "dismiss-incident"}),
        ("investigating", {"add-measure", "close-incident"}),
        ("closed", set()),
    ],
)
def test_only_the_actions_of_the_state_are_offered(status: str, expected: set[str]) -> None:
    response, _ = _page(["case_officer"], lambda me: incident(status, [me], measures=[]))
    assert response.status_code == 200
    assert _actions(response.text) == expected
    assert ('data-testid="add-evidence"' in response.text) == (status != "closed")
    assert ('data-testid="save-assignees"' in response.text) == (status != "closed")


def test_measures_state_offers_closure_only_when_every_measure_is_finished() -> None:
    response, _ = _page(["case_officer"], lambda me: incident("measures", [me], measures=[measure("planned")]))
    assert _actions(response.text) == set()
    assert "1 measure(s) are not done or cancelled yet" in response.text
    form = re.search(rf'action="/incidents/{INCIDENT_ID}/measures/{MEASURE_ID}/status".*?</form>', response.text, re.S)
    options = re.findall(r'<option value="([a-z_]+)"', form.group(0))
    assert options == ["in_progress", "done", "cancelled"]
    response, _ = _page(["case_officer"], lambda me: incident("measures", [me], measures=[measure("done")]))
    assert _actions(response.text) == {"close-incident"}
    assert f"/measures/{MEASURE_ID}/status" not in response.text  # a done measure cannot change


def test_the_forms_follow_the_transitions_the_api_allows() -> None:
    """The portal has no copy of the state machine: it offers what the incident detail's `next_statuses` say."""
    only_dismissal = [{"status": "closed", "action": "dismiss"}]
    response, _ = _page(["case_officer"], lambda me: incident("reported", [me], next_statuses=only_dismissal))
    assert _actions(response.text) == {"dismiss-incident"}
    response, _ = _page(["case_officer"], lambda me: incident("investigating", [me], next_statuses=[]))
    assert _actions(response.text) == set()
    only_done = [measure("in_progress", next_statuses=["done"])]
    response, _ = _page(["case_officer"], lambda me: incident("measures", [me], measures=only_done))
    form = re.search(rf'action="/incidents/{INCIDENT_ID}/measures/{MEASURE_ID}/status".*?</form>', response.text, re.S)
    assert re.findall(r'<option value="([a-z_]+)"', form.group(0)) == ["done"]
    response, _ = _page(["case_officer"], lambda me: incident("measures", [me], measures=[measure(next_statuses=[])]))
    assert f"/measures/{MEASURE_ID}/status" not in response.text


def test_an_officer_not_assigned_is_told_to_assign_themselves_first() -> None:
    response, _ = _page(["case_officer"], lambda me: incident("triaged", [OTHER_OFFICER]))
    assert _actions(response.text) == {"dismiss-incident"}
    assert "assign yourself below first" in response.text
    # security advisers investigate without being assigned (the API allows it)
    response, _ = _page(["security_adviser"], lambda me: incident("triaged", [OTHER_OFFICER]))
    assert _actions(response.text) == {"start-investigation", "dismiss-incident"}


def test_the_measure_builder_offers_the_eight_measure_kinds_with_labels() -> None:
    response, _ = _page(["case_officer"], lambda me: incident("investigating", [me]))
    html = response.text
    kinds = re.findall(r'<input type="checkbox" id="f-kind-([a-z_]+)" name="kind"', html)
    assert len(kinds) == 8
    assert "authority_notification" in kinds
    assert "switch_to_reimbursement" in kinds
    for kind in kinds:
        for prefix in ("f-kind-", "f-owner-", "f-due-", "f-mnote-"):
            assert f'<label for="{prefix}{kind}">' in html, (prefix, kind)


def test_every_input_has_a_label_and_headings_go_in_order() -> None:
    for status in ("reported", "triaged", "investigating", "measures"):
        response, _ = _page(["security_adviser"], lambda me, s=status: incident(s, [me]))
        html = response.text
        main = html[html.index('<main id="main"') :]
        ids = re.findall(r'<(?:input|textarea|select)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', main)
        assert ids
        for fid in ids:
            assert f'<label for="{fid}"' in main, (status, fid)
        levels = [int(h) for h in re.findall(r"<h([1-6])\b", main)]
        assert levels[0] == 1
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (status, levels)


def test_the_done_notice_after_the_redirect_and_an_applicant_gets_403() -> None:
    response, _ = _page(["case_officer"], lambda me: incident("triaged", [me]), url=f"{URL}?done=triage")
    assert 'data-testid="action-done"' in response.text
    assert "The incident is triaged." in response.text
    response, _ = _page(["case_officer"], lambda me: incident("triaged", [me]), url=f"{URL}?done=<script>")
    assert 'data-testid="action-done"' not in response.text
    response, apis = _page(["applicant"], lambda me: incident("triaged", [me]))
    assert response.status_code == 403
    assert apis.calls == []


def test_an_incident_the_api_does_not_show_is_a_404_page() -> None:
    apis = FakeApis()
    with portal(["case_officer"], apis) as (client, _):
        response = client.get("/incidents/00000000-0000-0000-0000-00000000dead")
        bad = client.get("/incidents/not-a-uuid")
    assert response.status_code == 404
    assert bad.status_code == 400


def test_a_late_triage_is_shown_as_handled_after_the_due_date() -> None:
    response, _ = _page(
        ["case_officer"],
        lambda me: incident("triaged", [me], triage_due_at=iso(timedelta(days=-5)), triaged_at=iso(timedelta(days=-4))),
    )
    triage = re.search(r'<tr data-testid="deadline-triage".*?</tr>', response.text, re.S).group(0)
    assert 'data-deadline="met"' in triage
    assert "Handled after the due date" in triage
