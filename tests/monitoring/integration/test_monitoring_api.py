"""Monitoring's API skeleton on the real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.incidents.types import IncidentType
from rsc_monitoring.settings import MonitoringSettings
from tests.support.apps import service_client
from tests.support.keycloak import bearer


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, MonitoringSettings, MIGRATIONS) as client:
        yield client


def test_incident_types_are_offered_to_any_signed_in_user(client: TestClient) -> None:
    response = client.get("/v1/incident-types", headers=bearer("applicant-b"))
    assert response.status_code == 200
    codes = [t["code"] for t in response.json()]
    assert codes == [t.value for t in IncidentType]
    assert all(t["description"] for t in response.json())
    assert client.get("/v1/incident-types").status_code == 401


def test_ready_with_database_kafka_and_temporal(client: TestClient) -> None:
    assert client.get("/readyz").json()["checks"] == {"database": "ok", "kafka": "ok", "temporal": "ok"}
