"""The safeguard catalogue over the API (real PostgreSQL and Keycloak): the shipped catalogue as the case
workflow uses it, every measure with every field of the data file, for those who act on cases only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from rsc_appraisal.app import MIGRATIONS, build_app
from rsc_appraisal.policy.safeguards import DEFAULT_CATALOGUE_PATH, default_safeguard_catalogue
from rsc_appraisal.settings import AppraisalSettings
from tests.support.apps import service_client
from tests.support.keycloak import bearer

PATH = "/v1/safeguard-catalogue"


@pytest.fixture(scope="module")
def api() -> Iterator[TestClient]:
    with service_client(build_app, AppraisalSettings, MIGRATIONS) as client:
        yield client


def test_the_catalogue_lists_every_measure_with_every_field_of_the_data(api: TestClient) -> None:
    response = api.get(PATH, headers=bearer("officer"))
    assert response.status_code == 200, response.text
    body = response.json()
    data = yaml.safe_load(DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8"))
    assert body["version"] == data["version"] == default_safeguard_catalogue().version
    assert body["title"] == data["title"]
    assert body["owner"] == data["owner"]
    assert body["sources"] == data["sources"]
    # catalogue order (the order recommendations are listed in), nothing left out, no field dropped
    assert body["measures"] == data["measures"]
    assert [m["id"] for m in body["measures"]] == [m.id for m in default_safeguard_catalogue().measures]
    training = next(m for m in body["measures"] if m["id"] == "training")
    assert training["title"] == "Research-security training (threat awareness, export control, cyber)"
    assert training["tracked_as"] == "Certificates"
    assert training["description"]
    known_sources = {s["id"] for s in body["sources"]}
    assert all(set(m["sources"]) <= known_sources for m in body["measures"])


@pytest.mark.parametrize("user", ["officer", "adviser", "rsc-admin"])
def test_case_officers_security_advisers_and_admins_read_it(api: TestClient, user: str) -> None:
    response = api.get(PATH, headers=bearer(user))
    assert response.status_code == 200, (user, response.text)
    assert len(response.json()["measures"]) == len(default_safeguard_catalogue().measures)


@pytest.mark.parametrize("user", ["auditor", "reporter", "applicant-a"])
def test_others_are_refused_with_a_problem(api: TestClient, user: str) -> None:
    response = api.get(PATH, headers=bearer(user))
    assert response.status_code == 403, user
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 403


def test_without_a_token_it_is_a_401_problem(api: TestClient) -> None:
    response = api.get(PATH)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].lower().startswith("bearer")
