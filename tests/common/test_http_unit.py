"""Problem+json errors, request ids and settings validation (no servers)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from rsc_common.http.problem import PROBLEM_JSON, ProblemError, install_problem_handlers
from rsc_common.http.request_id import RequestIdMiddleware
from rsc_common.settings import ServiceSettings


class Thing(BaseModel):
    name: str = Field(min_length=2)
    count: int


def make_client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    @app.post("/things")
    def create(thing: Thing) -> Thing:
        return thing

    @app.get("/conflict")
    def conflict() -> None:
        raise ProblemError(409, "illegal-transition", "cannot go from cleared to submitted", from_state="cleared")

    @app.get("/forbidden")
    def forbidden() -> None:
        raise HTTPException(403, "requires one of the roles: admin")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    return TestClient(app, raise_server_exceptions=False)


def test_validation_error_is_a_problem_naming_each_field() -> None:
    response = make_client().post("/things", json={"name": "x", "count": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 422
    assert body["instance"] == "/things"
    assert {tuple(e["location"]) for e in body["errors"]} == {("body", "name"), ("body", "count")}
    assert "body.name" in body["detail"]


def test_malformed_json_is_a_problem_not_a_500() -> None:
    response = make_client().post("/things", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON


def test_domain_problem_carries_its_type_and_extras() -> None:
    body = make_client().get("/conflict").json()
    assert body["type"].endswith("/illegal-transition")
    assert body["status"] == 409
    assert body["from_state"] == "cleared"


def test_http_exceptions_and_unknown_routes_are_problems() -> None:
    client = make_client()
    assert client.get("/forbidden").json()["detail"] == "requires one of the roles: admin"
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM_JSON


def test_unexpected_error_hides_internals() -> None:
    response = make_client().get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "secret" not in response.text


def test_request_id_is_echoed_or_generated() -> None:
    client = make_client()
    assert client.get("/conflict", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/conflict", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert generated.json()["request_id"] == generated.headers["x-request-id"]


def test_settings_are_validated_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    class DemoSettings(ServiceSettings):
        service_name: str = "demo"

    monkeypatch.setenv("RSC_DATABASE_URL", "postgresql://u:p@h:5432/d")
    monkeypatch.setenv("RSC_KAFKA__PARTITIONS", "3")
    settings = DemoSettings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.kafka.partitions == 3
    monkeypatch.setenv("RSC_DATABASE_URL", "mysql://u:p@h/d")
    with pytest.raises(ValidationError):
        DemoSettings()
    monkeypatch.setenv("RSC_DATABASE_URL", "postgresql://u:p@h:5432/d")
    monkeypatch.setenv("RSC_KAFKA__PARTITIONS", "0")
    with pytest.raises(ValidationError):
        DemoSettings()


def test_json_logs_carry_the_trace_id() -> None:
    import json
    import logging

    from opentelemetry import trace

    from rsc_common.telemetry.logging import JsonFormatter

    record = logging.LogRecord("rsc.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    with trace.get_tracer("test").start_as_current_span("op") as span:
        line = json.loads(JsonFormatter("rsc-test").format(record))
    assert line["message"] == "hello world"
    assert line["service"] == "rsc-test"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_a_value_the_database_refuses_is_a_422_not_a_500() -> None:
    import psycopg
    from sqlalchemy.exc import DataError

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/store")
    def store() -> None:
        raise DataError("INSERT ...", {}, psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))

    response = TestClient(app, raise_server_exceptions=False).get("/store")
    assert response.status_code == 422
    assert response.json()["type"].endswith("/value-not-storable")
