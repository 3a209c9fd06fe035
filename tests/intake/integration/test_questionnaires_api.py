"""Questionnaire publication and reading, on a throw-away migrated database with real Keycloak tokens."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, create_engine

import rsc_intake
from rsc_common.http import PROBLEM_JSON, ProblemError, create_app
from rsc_intake.calls import service as calls
from rsc_intake.calls.schemas import CallCreate, ProgrammeCreate
from rsc_intake.questionnaires import service
from rsc_intake.questionnaires.views import router
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer

# Same folder as `rsc_intake.app.MIGRATIONS`, without importing the app (and all its routers).
MIGRATIONS = Path(rsc_intake.__file__).parent / "migrations"
ADMIN = "rsc-admin"
APPLICANT = "applicant-a"

SMALL = {
    "title": "Short self-assessment",
    "questions": [
        {"id": "dual_use_items", "text": "Dual-use items?", "category": "dual_use", "answer_type": "boolean"},
        {
            "id": "dual_use_categories",
            "text": "Which Annex I categories?",
            "category": "dual_use",
            "answer_type": "multi_choice",
            "options": [{"value": "3", "label": "Electronics"}, {"value": "6", "label": "Sensors and lasers"}],
            "show_if": {"question": "dual_use_items", "equals": True},
        },
    ],
}


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with migrated_database(MIGRATIONS) as url:
        yield url


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(
        settings_for(IntakeSettings, database_url),
        title="RSC Intake (questionnaires test)",
        description="Questionnaire routes only.",
        routers=[router],
        migrations_dir=MIGRATIONS,
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def programme_id(engine: Engine) -> uuid.UUID:
    with Session(engine, expire_on_commit=False) as session:
        data = ProgrammeCreate(name="Questionnaire test programme", funder="Test funder")
        return calls.create_programme(session=session, data=data).id


def new_call(engine: Engine, programme_id: uuid.UUID) -> uuid.UUID:
    now = datetime.now(UTC)
    data = CallCreate(
        programme_id=programme_id,
        identifier=f"QTEST-{uuid.uuid4().hex[:8]}",
        title="Photonics for secure communications",
        opens_at=now,
        closes_at=now + timedelta(days=30),
    )
    with Session(engine, expire_on_commit=False) as session:
        return calls.create_call(session=session, data=data).id


def test_the_default_questionnaire_is_version_one_and_seeding_is_idempotent(
    client: TestClient, engine: Engine, programme_id: uuid.UUID
) -> None:
    call_id = new_call(engine, programme_id)
    missing = client.get(f"/v1/calls/{call_id}/questionnaire", headers=bearer(APPLICANT))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON
    assert missing.json()["type"].endswith("/no-questionnaire")

    with Session(engine, expire_on_commit=False) as session:
        first = service.ensure_default_questionnaire(session, call_id)
        again = service.ensure_default_questionnaire(session, call_id)
    assert (first.version, first.published_by) == (1, "seed")
    assert again.id == first.id

    response = client.get(f"/v1/calls/{call_id}/questionnaire", headers=bearer(APPLICANT))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 1
    assert body["call_id"] == str(call_id)
    assert datetime.fromisoformat(body["published_at"]).tzinfo is not None
    assert body["definition"] == service.load_default_definition().model_dump(mode="json")
    assert "published_by" not in body
    assert client.get(f"/v1/calls/{call_id}/questionnaires/1", headers=bearer(APPLICANT)).json() == body


def test_admin_publishes_new_versions_and_old_ones_stay_unchanged(
    client: TestClient, engine: Engine, programme_id: uuid.UUID
) -> None:
    call_id = new_call(engine, programme_id)
    with Session(engine, expire_on_commit=False) as session:
        service.ensure_default_questionnaire(session, call_id)
    v1 = client.get(f"/v1/calls/{call_id}/questionnaires/1", headers=bearer(APPLICANT)).json()

    published = client.post(f"/v1/calls/{call_id}/questionnaires", json={"definition": SMALL}, headers=bearer(ADMIN))
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    assert published.json()["definition"]["title"] == SMALL["title"]

    latest = client.get(f"/v1/calls/{call_id}/questionnaire", headers=bearer(APPLICANT)).json()
    assert latest["version"] == 2
    assert latest["definition"]["questions"][1]["show_if"] == {"question": "dual_use_items", "equals": True}
    assert client.get(f"/v1/calls/{call_id}/questionnaires/1", headers=bearer(APPLICANT)).json() == v1

    with Session(engine) as session:
        stored = service.get_questionnaire(session, call_id, 2)
        assert stored.published_by  # the admin's subject
        assert stored.published_by != "seed"
        definition = service.definition_of(stored)
        assert service.validate_answers(definition, {"dual_use_items": False}, for_submission=True) == []
        with pytest.raises(ProblemError) as raised:
            service.get_questionnaire(session, call_id, 3)
    assert (raised.value.status, raised.value.slug) == (422, "unknown-questionnaire-version")


def test_only_admins_publish_and_only_authenticated_callers_read(
    client: TestClient, engine: Engine, programme_id: uuid.UUID
) -> None:
    call_id = new_call(engine, programme_id)
    url = f"/v1/calls/{call_id}/questionnaires"
    forbidden = client.post(url, json={"definition": SMALL}, headers=bearer(APPLICANT))
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == PROBLEM_JSON
    assert client.post(url, json={"definition": SMALL}).status_code == 401
    assert client.get(f"/v1/calls/{call_id}/questionnaire").status_code == 401
    assert client.get(f"{url}/1").status_code == 401
    with Session(engine) as session:
        assert service.latest_questionnaire(session, call_id) is None


def test_unknown_calls_and_versions_are_not_found(client: TestClient, engine: Engine, programme_id: uuid.UUID) -> None:
    unknown = uuid.uuid4()
    post = client.post(f"/v1/calls/{unknown}/questionnaires", json={"definition": SMALL}, headers=bearer(ADMIN))
    assert post.status_code == 404
    assert post.headers["content-type"] == PROBLEM_JSON
    assert client.get(f"/v1/calls/{unknown}/questionnaire", headers=bearer(APPLICANT)).status_code == 404
    assert client.get(f"/v1/calls/{unknown}/questionnaires/1", headers=bearer(APPLICANT)).status_code == 404

    call_id = new_call(engine, programme_id)
    missing = client.get(f"/v1/calls/{call_id}/questionnaires/7", headers=bearer(APPLICANT))
    assert missing.status_code == 404
    assert "no questionnaire version 7" in missing.json()["detail"]
    assert client.get(f"/v1/calls/{call_id}/questionnaires/0", headers=bearer(APPLICANT)).status_code == 422


def _with(**changes: object) -> dict:
    return {**SMALL, "questions": [SMALL["questions"][0], {**SMALL["questions"][1], **changes}]}


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        (_with(show_if={"question": "later", "equals": True}), "earlier question"),
        (_with(id="dual_use_items"), "used twice"),
        (_with(options=None), "needs options"),
        (_with(category="ethics"), "category"),
        (_with(answer_type="boolean"), "only choice questions have options"),
        ({**SMALL, "version": 3}, "Extra inputs are not permitted"),
        ({"title": "Empty", "questions": []}, "at least 1 item"),
    ],
)
def test_invalid_definitions_get_a_validation_problem(
    client: TestClient, engine: Engine, programme_id: uuid.UUID, definition: dict, fragment: str
) -> None:
    call_id = new_call(engine, programme_id)
    response = client.post(
        f"/v1/calls/{call_id}/questionnaires", json={"definition": definition}, headers=bearer(ADMIN)
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert fragment in response.text
    with Session(engine) as session:
        assert service.latest_questionnaire(session, call_id) is None


def test_concurrent_publications_get_consecutive_versions(engine: Engine, programme_id: uuid.UUID) -> None:
    call_id = new_call(engine, programme_id)
    definition = service.load_default_definition()

    def publish(n: int) -> int:
        with Session(engine) as session:
            return service.publish(session, call_id, definition, f"admin-{n}").version

    with ThreadPoolExecutor(max_workers=6) as pool:
        versions = sorted(pool.map(publish, range(6)))
    assert versions == [1, 2, 3, 4, 5, 6]
