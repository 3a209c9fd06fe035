"""The grants API on real PostgreSQL and Keycloak tokens: grantees see and act on their own grants
only, officers decide on evidence, transitions are strict, attestations can send a grant back to
appraisal, bad input is a problem document."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.facts.handlers import upsert_fact
from rsc_monitoring.grants import service
from rsc_monitoring.grants.plan import default_plan
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.grant_support import ORG_A, ORG_B, award
from tests.support.apps import service_client
from tests.support.keycloak import bearer

GRANTEE, OTHER, OFFICER = bearer("applicant-a"), bearer("applicant-b"), bearer("officer")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        yield client


def make_grant(client: TestClient, organisation_id: uuid.UUID = ORG_A, level: str = "high", **kw) -> str:
    data = award(datetime.now(UTC) - timedelta(days=1), level=level, **kw)
    with Session(client.app.state.engine) as session:
        upsert_fact(session, data.proposal_id, 1, organisation_id=organisation_id, duration_months=24)
        grant, _ = service.create_from_award(session, data, default_plan())
        session.commit()
        return grant.reference


def events(client: TestClient, event_type: str, reference: str) -> list[dict]:
    with client.app.state.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload->'data' FROM outbox_event WHERE event_type = :t ORDER BY created_at, id"),
            {"t": event_type},
        )
        return [d for (d,) in rows if d.get("grant_reference") == reference]


def test_grantees_see_their_own_grants_only(client: TestClient) -> None:
    mine, theirs = make_grant(client, ORG_A), make_grant(client, ORG_B)
    listed = {g["reference"] for g in client.get("/v1/grants", headers=GRANTEE).json()["items"]}
    assert mine in listed
    assert theirs not in listed
    assert client.get(f"/v1/grants/{theirs}", headers=GRANTEE).status_code == 404
    detail = client.get(f"/v1/grants/{mine}", headers=GRANTEE).json()
    assert detail["organisation_id"] == str(ORG_A)
    assert [o["measure_id"] for o in detail["obligations"]] == ["SG-TRAINING"]
    assert [a["period"] for a in detail["attestations"]] == [1, 2, 3, 4]  # high risk: every 6 months for 2 years
    staff = {g["reference"] for g in client.get("/v1/grants", headers=OFFICER).json()["items"]}
    assert {mine, theirs} <= staff
    assert client.get(f"/v1/grants/{mine}", headers=bearer("auditor")).status_code == 200
    assert client.get("/v1/grants", headers=bearer("reporter")).status_code == 403
    assert client.get("/v1/grants").status_code == 401


def test_evidence_then_decision_with_strict_transitions(client: TestClient) -> None:
    ref = make_grant(client)
    base = f"/v1/grants/{ref}/obligations/SG-TRAINING"
    assert client.post(f"{base}/evidence", headers=OTHER, json={"text": "x"}).status_code == 404
    # nothing to accept before evidence arrives
    early = client.post(f"{base}/decision", headers=OFFICER, json={"decision": "accept", "note": "ok"})
    assert early.status_code == 409
    assert early.json()["from_status"] == "open"
    sent = client.post(f"{base}/evidence", headers=GRANTEE, json={"text": "training held", "attachments": []})
    assert sent.status_code == 200
    assert sent.json()["status"] == "evidence_submitted"
    assert client.post(f"{base}/decision", headers=GRANTEE, json={"decision": "accept", "note": "x"}).status_code == 403
    back = client.post(f"{base}/decision", headers=OFFICER, json={"decision": "send_back", "note": "no list"})
    assert back.json()["status"] == "open"
    client.post(f"{base}/evidence", headers=GRANTEE, json={"text": "attendance list attached"})
    accepted = client.post(f"{base}/decision", headers=OFFICER, json={"decision": "accept", "note": "complete"})
    assert accepted.json()["status"] == "fulfilled"
    assert accepted.json()["fulfilled_at"]
    again = client.post(f"{base}/evidence", headers=GRANTEE, json={"text": "more"})
    assert again.status_code == 409
    statuses = [e["status"] for e in events(client, "grant.obligation_updated", ref)]
    assert statuses == ["evidence_submitted", "open", "evidence_submitted", "fulfilled"]


def test_attestations_and_reappraisal(client: TestClient) -> None:
    ref = make_grant(client)
    url = f"/v1/grants/{ref}/attestations"
    quiet = client.post(url, headers=GRANTEE, json={"period": 1, "no_change": True})
    assert quiet.status_code == 201
    assert quiet.json()["reappraisal_requested"] is False
    assert client.post(url, headers=GRANTEE, json={"period": 1, "no_change": True}).status_code == 409
    changed = client.post(
        url,
        headers=GRANTEE,
        json={"period": 2, "no_change": False, "changes": ["new_partner"], "statement": "A new partner joins."},
    )
    assert changed.status_code == 201
    assert changed.json()["reappraisal_requested"] is True
    [request] = [e for e in events(client, "grant.reappraisal_requested", ref)]
    assert request["changes"] == ["new_partner"]
    assert request["version"] == 1
    assert [e["period"] for e in events(client, "grant.attestation_submitted", ref)] == [1, 2]
    assert client.post(url, headers=OFFICER, json={"period": 3, "no_change": True}).status_code == 403
    assert client.post(url, headers=GRANTEE, json={"period": 99, "no_change": True}).status_code == 404


def test_bad_input_is_a_problem(client: TestClient) -> None:
    ref = make_grant(client)
    url = f"/v1/grants/{ref}/attestations"
    for body in (
        {"period": 1, "no_change": True, "changes": ["funding"]},
        {"period": 1, "no_change": False},
        {"period": 0, "no_change": True},
        {"period": 1, "no_change": True, "changes": ["nationality"]},
        {"period": 1, "no_change": True, "nationality": "XX"},
    ):
        response = client.post(url, headers=GRANTEE, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    decision = client.post(
        f"/v1/grants/{ref}/obligations/SG-TRAINING/decision", headers=OFFICER, json={"decision": "maybe", "note": "x"}
    )
    assert decision.status_code == 422
    assert client.get("/v1/grants", params={"status": "zzz"}, headers=OFFICER).status_code == 422
