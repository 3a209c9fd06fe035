"""Auditors are read-only everywhere in monitoring: every operation that changes something is refused
to them with 403, with a valid request on real objects (so the refusal is the role, not the input)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.integration.test_grants_api import make_grant
from tests.support.apps import service_client
from tests.support.keycloak import bearer

AUDITOR, OFFICER = bearer("auditor"), bearer("officer")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        yield client


def test_every_changing_operation_is_refused_to_auditors(client: TestClient) -> None:
    ref = make_grant(client)
    incident = client.post(
        "/v1/incidents",
        headers=OFFICER,
        json={"type": "other", "title": "An incident", "description": "d", "grant_reference": ref},
    ).json()
    iid = incident["id"]
    measures = (
        client.post(f"/v1/incidents/{iid}/triage", headers=OFFICER, json={"severity": "low", "note": "n"}).status_code,
        client.post(f"/v1/incidents/{iid}/investigation", headers=OFFICER, json={"note": "n"}),
    )
    measure = client.post(
        f"/v1/incidents/{iid}/measures",
        headers=OFFICER,
        json={"note": "n", "measures": [{"kind": "corrective_plan", "owner": "o", "note": "n"}]},
    ).json()["measures"][0]["id"]
    assert measures[0] == 200
    requests = {
        ("POST", "/v1/incidents"): {"type": "other", "title": "An incident", "description": "d"},
        ("POST", "/v1/tips"): {"title": "A tip here", "description": "something happened here"},
        ("POST", "/v1/incidents/{incident_id}/triage"): {"severity": "low", "note": "n"},
        ("POST", "/v1/incidents/{incident_id}/investigation"): {"note": "n"},
        ("POST", "/v1/incidents/{incident_id}/dismissal"): {"reason": "r"},
        ("POST", "/v1/incidents/{incident_id}/measures"): {
            "note": "n", "measures": [{"kind": "corrective_plan", "owner": "o", "note": "n"}]
        },
        ("POST", "/v1/incidents/{incident_id}/measures/{measure_id}/status"): {"status": "done", "note": "n"},
        ("POST", "/v1/incidents/{incident_id}/closure"): {"outcome": "done", "lessons_learned": "l"},
        ("POST", "/v1/incidents/{incident_id}/evidence"): {"kind": "note", "body": "b"},
        ("PUT", "/v1/incidents/{incident_id}/assignees"): {"assignees": ["someone"]},
        ("POST", "/v1/grants/{reference}/obligations/{obligation}/evidence"): {"text": "t"},
        ("POST", "/v1/grants/{reference}/obligations/{obligation}/decision"): {"decision": "waive", "note": "n"},
        ("POST", "/v1/grants/{reference}/attestations"): {"period": 1, "no_change": True},
        ("POST", "/v1/exercises"): {
            "name": "drill", "participants": ["a"], "injections": [{"template": "data-breach", "grant_reference": ref}]
        },
    }  # fmt: skip
    documented = {
        (method.upper(), path.replace("{measure_id}/evidence", "{obligation}/evidence").replace(
            "obligations/{measure_id}/decision", "obligations/{obligation}/decision"))
        for path, ops in client.get("/openapi.json").json()["paths"].items()
        for method in ops
        if method != "get"
    }  # fmt: skip
    assert documented == set(requests), documented ^ set(requests)
    ids = {"incident_id": iid, "measure_id": measure, "reference": ref, "obligation": "SG-TRAINING"}
    for (method, path), body in requests.items():
        response = client.request(method, path.format(**ids), headers=AUDITOR, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
