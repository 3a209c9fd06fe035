"""Incidents on real PostgreSQL and Keycloak tokens: reporting by grantees, officers and the anonymous
tip channel (rate- and size-limited), need-to-know evidence, strict transitions, measures that change
the grant, closure rules, problem documents for bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.grant_support import ORG_A
from tests.monitoring.integration.test_grants_api import make_grant
from tests.support.apps import service_client
from tests.support.keycloak import bearer, subject_of

GRANTEE, OTHER = bearer("applicant-a"), bearer("applicant-b")
OFFICER, OFFICER2, ADVISER, AUDITOR = bearer("officer"), bearer("officer-2"), bearer("adviser"), bearer("auditor")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        yield client


def report(client: TestClient, headers: dict, **changes) -> dict:
    body = {
        "type": "suspicious_approach",
        "severity": "medium",
        "title": "Visitor asked for lab access",
        "description": "A visitor asked for the sample database credentials.",
        **changes,
    }
    response = client.post("/v1/incidents", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def outbox(client: TestClient, event_type: str) -> list[dict]:
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload->'data' FROM outbox_event WHERE event_type = :t ORDER BY created_at, id"),
            {"t": event_type},
        )
        return [d for (d,) in rows]


def test_a_grantee_reports_on_its_own_grant_and_sees_only_its_reports(client: TestClient) -> None:
    ref = make_grant(client, ORG_A)
    incident = report(client, GRANTEE, grant_reference=ref)
    assert incident["channel"] == "grantee"
    assert incident["status"] == "reported"
    assert incident["organisation_id"] == str(ORG_A)
    assert incident["evidence"][0]["body"].startswith("A visitor")  # the reporter reads what they wrote
    other = client.post(
        "/v1/incidents",
        headers=OTHER,
        json={"type": "other", "title": "x" * 5, "description": "y", "grant_reference": ref},
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("unknown-grant")
    assert client.get(f"/v1/incidents/{incident['id']}", headers=OTHER).status_code == 404
    officer_raised = report(client, OFFICER, grant_reference=ref, type="undisclosed_affiliation_or_funding")
    mine = {i["id"] for i in client.get("/v1/incidents", headers=GRANTEE).json()["items"]}
    assert incident["id"] in mine
    assert officer_raised["id"] not in mine
    assert client.get(f"/v1/incidents/{officer_raised['id']}", headers=GRANTEE).status_code == 404
    [event] = [e for e in outbox(client, "incident.reported") if e["incident_id"] == incident["id"]]
    assert event["incident_type"] == "suspicious_approach"
    assert "description" not in event
    assert client.post("/v1/incidents", headers=bearer("reporter"), json={}).status_code in (403, 422)


def test_need_to_know_on_evidence(client: TestClient) -> None:
    incident = report(client, OFFICER, type="cyber_incident_or_data_breach")
    iid = incident["id"]
    # the reporting officer is not yet assigned: the description is withheld from other officers
    assert client.get(f"/v1/incidents/{iid}", headers=OFFICER2).json()["evidence_withheld"] == 1
    assert client.get(f"/v1/incidents/{iid}", headers=ADVISER).json()["evidence_withheld"] == 0
    audited = client.get(f"/v1/incidents/{iid}", headers=AUDITOR).json()
    assert audited["evidence"] == []
    assert audited["evidence_withheld"] == 1
    triaged = client.post(
        f"/v1/incidents/{iid}/triage",
        headers=OFFICER,
        json={"severity": "high", "assignees": [subject_of("officer-2")], "note": "credible"},
    )
    assert triaged.status_code == 200, triaged.text
    assert set(triaged.json()["assignees"]) == {subject_of("officer"), subject_of("officer-2")}
    assert client.get(f"/v1/incidents/{iid}", headers=OFFICER2).json()["evidence_withheld"] == 0
    note = client.post(f"/v1/incidents/{iid}/evidence", headers=AUDITOR, json={"kind": "note", "body": "x"})
    assert note.status_code == 403
    # every need-to-know read is audited; a read that withheld the evidence is not such a read
    readers = [e["read_by"] for e in outbox(client, "incident.evidence_read") if e["incident_id"] == iid]
    assert readers == [subject_of("adviser"), subject_of("officer-2")]


def test_the_lifecycle_with_strict_transitions_and_a_termination(client: TestClient) -> None:
    ref = make_grant(client, ORG_A)
    iid = report(client, OFFICER, grant_reference=ref, type="export_control_breach")["id"]
    url = f"/v1/incidents/{iid}"
    early = client.post(f"{url}/closure", headers=ADVISER, json={"outcome": "done", "lessons_learned": "none"})
    assert early.status_code == 409
    assert early.json()["from_status"] == "reported"
    client.post(f"{url}/triage", headers=OFFICER, json={"severity": "critical", "note": "licence missing"})
    assert client.post(f"{url}/triage", headers=OFFICER, json={"severity": "low", "note": "again"}).status_code == 409
    assert client.post(f"{url}/investigation", headers=OFFICER2, json={"note": "not mine"}).status_code == 403
    assert client.post(f"{url}/investigation", headers=OFFICER, json={"note": "interviews"}).status_code == 200
    decided = client.post(
        f"{url}/measures",
        headers=OFFICER,
        json={
            "note": "serious breach",
            "measures": [
                {"kind": "authority_notification", "owner": "funder", "note": "notify the export-control authority"},
                {"kind": "termination", "owner": "funder", "note": "terminate the grant"},
            ],
        },
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "measures"
    measures = {m["kind"]: m["id"] for m in decided.json()["measures"]}
    closing = client.post(f"{url}/closure", headers=OFFICER, json={"outcome": "terminated", "lessons_learned": "x"})
    assert closing.status_code == 409
    assert closing.json()["type"].endswith("measures-open")
    client.post(
        f"{url}/measures/{measures['authority_notification']}/status",
        headers=OFFICER,
        json={"status": "done", "note": "notified"},
    )
    done = client.post(
        f"{url}/measures/{measures['termination']}/status", headers=OFFICER, json={"status": "done", "note": "signed"}
    )
    assert done.status_code == 200
    again = client.post(
        f"{url}/measures/{measures['termination']}/status", headers=OFFICER, json={"status": "cancelled", "note": "x"}
    )
    assert again.status_code == 409
    assert client.get(f"/v1/grants/{ref}", headers=OFFICER).json()["status"] == "terminated"
    assert [e["reason"] for e in outbox(client, "grant.ended") if e["grant_reference"] == ref] == ["terminated"]
    closed = client.post(
        f"{url}/closure", headers=OFFICER, json={"outcome": "grant terminated", "lessons_learned": "check licences"}
    )
    assert closed.json()["status"] == "closed"
    actions = [c["action"] for c in closed.json()["timeline"]]
    assert actions == [
        "report", "triage", "investigate", "decide_measures", "update_measure", "update_measure", "close"
    ]  # fmt: skip
    changes = [
        (e["from_status"], e["to_status"]) for e in outbox(client, "incident.changed") if e["incident_id"] == iid
    ]
    assert changes == [
        ("reported", "triaged"), ("triaged", "investigating"), ("investigating", "measures"), ("measures", "closed")
    ]  # fmt: skip


def test_the_tip_channel_is_anonymous_limited_and_confidential(client: TestClient) -> None:
    tip = {"type": "coercion_or_intimidation", "title": "Pressure on a PhD student", "description": "x" * 40}
    anonymous = client.post("/v1/tips", json=tip)
    assert anonymous.status_code == 202
    assert anonymous.json()["stored_identity"] is False
    identified = client.post("/v1/tips", json={**tip, "identify": True}, headers=GRANTEE)
    assert identified.json()["stored_identity"] is True
    assert client.post("/v1/tips", json={**tip, "identify": True}).status_code == 422  # no sign-in to attach
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT reporter_subject, channel FROM incident WHERE reference = :r"),
            {"r": anonymous.json()["reference"]},
        ).one()
        buckets = conn.execute(text("SELECT bucket FROM tip_rate")).scalars().all()
    assert rows == (None, "tip")
    assert all("testclient" not in b for b in buckets)  # only keyed hashes of the source
    too_big = client.post("/v1/tips", json={**tip, "description": "x" * 40_000})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    limited = [client.post("/v1/tips", json=tip).status_code for _ in range(5)]
    assert limited[-1] == 429
    assert 202 in limited
    assert client.post("/v1/tips", json={"title": "x"}).status_code == 422
    assert client.post("/v1/tips", content=b"not json", headers={"content-type": "application/json"}).status_code == 422


def test_bad_input_is_a_problem(client: TestClient) -> None:
    iid = report(client, OFFICER)["id"]
    for path, body in (
        ("/v1/incidents", {"type": "nope", "title": "abc", "description": "d"}),
        ("/v1/incidents", {"type": "other", "title": "abc", "description": "d", "nationality": "X"}),
        (f"/v1/incidents/{iid}/triage", {"severity": "apocalyptic", "note": "n"}),
        (f"/v1/incidents/{iid}/measures", {"measures": [], "note": "n"}),
        (f"/v1/incidents/{iid}/measures", {"measures": [{"kind": "fine", "owner": "o", "note": "n"}], "note": "n"}),
    ):
        response = client.post(path, headers=OFFICER, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/incidents/not-a-uuid", headers=OFFICER).status_code == 422
    assert client.get("/v1/incidents", params={"severity": "x"}, headers=OFFICER).status_code == 422
