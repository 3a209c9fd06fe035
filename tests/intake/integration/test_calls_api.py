"""Intake's API on a throw-away database, with real Keycloak tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, create_engine, select

from rsc_common.db import SchemaNotAtHeadError
from rsc_common.events import OutboxEvent
from rsc_common.http import PROBLEM_JSON
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.seed import seed
from rsc_intake.settings import IntakeSettings
from tests.support import apps
from tests.support.databases import migrated_database, temporary_database
from tests.support.keycloak import bearer

ORG_A = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
ORG_B = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a02"


def settings_for(url: str) -> IntakeSettings:
    return apps.settings_for(IntakeSettings, url)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with migrated_database(MIGRATIONS) as url:
        seed(None, create_engine(url))
        yield url


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(build_app(settings_for(database_url))) as client:
        yield client


def new_call(client: TestClient, **overrides: object) -> dict:
    programme_id = client.get("/v1/programmes", headers=bearer("officer")).json()[0]["id"]
    now = datetime.now(UTC)
    body = {
        "programme_id": programme_id,
        "identifier": f"TEST-{uuid.uuid4().hex[:8]}",
        "title": "Quantum sensing for navigation",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=60)).isoformat(),
        **overrides,
    }
    return body


def test_admin_opens_a_call_and_its_event_is_in_the_outbox(client: TestClient, database_url: str) -> None:
    body = new_call(client)
    response = client.post("/v1/calls", json=body, headers=bearer("rsc-admin"))
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["is_open"] is True
    with Session(create_engine(database_url)) as session:
        [event] = session.exec(select(OutboxEvent).where(OutboxEvent.key == call["id"])).all()
    assert event.event_type == "call.opened"
    assert event.payload["data"]["identifier"] == body["identifier"]
    listed = client.get("/v1/calls", headers=bearer("applicant-a")).json()
    assert call["id"] in {c["id"] for c in listed}


def test_only_admins_open_calls(client: TestClient) -> None:
    response = client.post("/v1/calls", json=new_call(client), headers=bearer("applicant-a"))
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    unauthenticated = client.post("/v1/calls", json=new_call(client))
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("overrides", "status", "fragment"),
    [
        ({"closes_at": "2020-01-01T00:00:00+00:00"}, 422, "closes_at must be after opens_at"),
        ({"opens_at": "2027-01-01T00:00:00"}, 422, "timezone"),
        ({"identifier": "has spaces"}, 422, "identifier"),
        ({"programme_id": str(uuid.uuid4())}, 422, "does not exist"),
        ({"unexpected": 1}, 422, "unexpected"),
    ],
)
def test_bad_input_gets_a_clear_problem(client: TestClient, overrides: dict, status: int, fragment: str) -> None:
    response = client.post("/v1/calls", json=new_call(client, **overrides), headers=bearer("rsc-admin"))
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    assert fragment in response.text


def test_duplicate_call_identifier_conflicts(client: TestClient) -> None:
    body = new_call(client)
    assert client.post("/v1/calls", json=body, headers=bearer("rsc-admin")).status_code == 201
    again = client.post("/v1/calls", json=body, headers=bearer("rsc-admin"))
    assert again.status_code == 409
    assert again.json()["type"].endswith("/duplicate-call")


def test_applicants_see_their_own_organisation_only(client: TestClient) -> None:
    mine = client.get("/v1/organisations/mine", headers=bearer("applicant-a"))
    assert mine.status_code == 200
    assert mine.json()["id"] == ORG_A
    assert client.get(f"/v1/organisations/{ORG_B}", headers=bearer("applicant-a")).status_code == 404
    assert client.get(f"/v1/organisations/{ORG_B}", headers=bearer("officer")).json()["id"] == ORG_B


def test_seed_is_idempotent(database_url: str, client: TestClient) -> None:
    before = client.get("/v1/calls", params={"open": False}, headers=bearer("officer")).json()
    seed(None, create_engine(database_url))
    after = client.get("/v1/calls", params={"open": False}, headers=bearer("officer")).json()
    assert len(after) == len(before)


def test_readiness_reports_each_dependency(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "kafka": "ok", "temporal": "ok"}


def test_service_refuses_to_start_on_a_schema_not_at_head() -> None:
    with temporary_database() as url:
        app = build_app(settings_for(url))
        with pytest.raises(SchemaNotAtHeadError, match="run the service's `migrate` command"), TestClient(app):
            pass
