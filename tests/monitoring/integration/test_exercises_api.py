"""Resilience exercises: simulated incidents reach only the participants, are flagged everywhere, never
change a real grant, and the report measures how they were handled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.integration.test_grants_api import make_grant
from tests.support.apps import service_client
from tests.support.keycloak import bearer, subject_of

ADMIN, OFFICER, OFFICER2 = bearer("rsc-admin"), bearer("officer"), bearer("officer-2")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        yield client


def test_an_exercise_runs_the_normal_flow_for_its_participants_only(client: TestClient) -> None:
    ref = make_grant(client)
    templates = {t["id"] for t in client.get("/v1/exercises/templates", headers=ADMIN).json()}
    assert {"intangible-transfer", "suspicious-approach"} <= templates
    assert client.get("/v1/exercises/templates", headers=OFFICER).status_code == 403
    started = client.post(
        "/v1/exercises",
        headers=ADMIN,
        json={
            "name": "Spring drill",
            "participants": [subject_of("officer")],
            "injections": [
                {"template": "intangible-transfer", "grant_reference": ref},
                {"template": "suspicious-approach", "grant_reference": ref},
            ],
        },
    )
    assert started.status_code == 201, started.text
    exercise_id, incident_ids = started.json()["exercise_id"], started.json()["incident_ids"]
    visible = {i["id"] for i in client.get("/v1/incidents", params={"exercise": True}, headers=OFFICER).json()["items"]}
    assert visible == set(incident_ids)
    for outsider in (OFFICER2, bearer("auditor"), bearer("applicant-a")):
        items = client.get("/v1/incidents", params={"exercise": True}, headers=outsider)
        assert items.status_code in (200, 403)
        if items.status_code == 200:
            assert items.json()["items"] == []
        assert client.get(f"/v1/incidents/{incident_ids[0]}", headers=outsider).status_code == 404
    assert client.get(f"/v1/exercises/{exercise_id}/report", headers=OFFICER2).status_code == 404

    # the participant handles one: triage, investigate, terminate (simulated), close
    iid = incident_ids[0]
    client.post(f"/v1/incidents/{iid}/triage", headers=OFFICER, json={"severity": "critical", "note": "drill"})
    client.post(f"/v1/incidents/{iid}/investigation", headers=OFFICER, json={"note": "drill"})
    measures = client.post(
        f"/v1/incidents/{iid}/measures",
        headers=OFFICER,
        json={"note": "drill", "measures": [{"kind": "termination", "owner": "funder", "note": "simulated"}]},
    ).json()["measures"]
    client.post(
        f"/v1/incidents/{iid}/measures/{measures[0]['id']}/status",
        headers=OFFICER,
        json={"status": "done", "note": "x"},
    )
    assert client.get(f"/v1/grants/{ref}", headers=OFFICER).json()["status"] == "active"  # the grant is real
    closed = client.post(
        f"/v1/incidents/{iid}/closure", headers=OFFICER, json={"outcome": "drill", "lessons_learned": "y"}
    )
    assert closed.json()["exercise"] is True

    report = client.get(f"/v1/exercises/{exercise_id}/report", headers=OFFICER).json()
    assert report["incidents"] == 2
    assert report["triaged"] == 1
    assert report["closed"] == 1
    assert report["median_hours_to_triage"] is not None
    assert report["median_hours_to_measures"] is not None
    assert report["missed_deadlines"] == 0
    with client.app.state.engine.connect() as conn:
        flags = (
            conn.execute(
                text(
                    "SELECT DISTINCT (payload->'data'->>'exercise')::boolean FROM outbox_event "
                    "WHERE payload->'data'->>'incident_id' = ANY(:ids) OR event_type = 'exercise.started'"
                ),
                {"ids": incident_ids},
            )
            .scalars()
            .all()
        )
    assert flags == [True]


def test_bad_exercises_are_refused(client: TestClient) -> None:
    ref = make_grant(client)
    for body in (
        {"name": "x", "participants": ["a"], "injections": [{"template": "data-breach", "grant_reference": ref}]},
        {"name": "drill", "participants": [], "injections": [{"template": "data-breach", "grant_reference": ref}]},
        {"name": "drill", "participants": ["a"], "injections": [{"template": "nope", "grant_reference": ref}]},
        {"name": "drill", "participants": ["a"], "injections": [{"template": "data-breach", "grant_reference": "G-0"}]},
    ):
        response = client.post("/v1/exercises", headers=ADMIN, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/exercises", headers=OFFICER, json={}).status_code in (403, 422)
