"""Schemathesis over every operation of intake's OpenAPI document, on a throw-away seeded database.

Each operation runs as applicant-a (who may write proposals) and as rsc-admin (who may create
programmes, calls and questionnaires), with generated valid and invalid input. Whatever is sent,
the service must not fail (no 5xx), and every error it answers is an RFC 9457 problem
(`application/problem+json`).

Generated UUIDs name nothing, so most cases would stop at a 404. A hook therefore reshapes the
fuzzed cases: a third are sent as generated; a third name real objects instead (org A's drafts, one
with attachments, submitted ones, one with an open information request, the demo call and
programme) with `If-Match: *`, so that bodies reach the domain code and the database; a third do
the same with one value PostgreSQL cannot take (a NUL character in a string, an integer beyond
`integer`), which the API must refuse with a 4xx rather than fail on. Deterministic and bounded:
a fixed seed, a few fuzzed examples per operation, no shrinking.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from sqlalchemy import Engine
from sqlmodel import Session, create_engine

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope
from rsc_common.events.types import AppraisalInformationRequested
from rsc_common.http import PROBLEM_JSON
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.proposals.handlers import on_information_requested
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, seed
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import token_for
from tests.support.proposals import complete_content

ORG_A = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
PDF = b"%PDF-1.4\n%%EOF\n"
MAX_EXAMPLES = 8  # fuzzed cases per operation and user, besides the examples and coverage phases
SEED = 20_271_101

# The document only: this app is never started (its database does not exist); the tests call the
# app built in the `app` fixture, on the throw-away database.
_DOCUMENT = build_app(settings_for(IntakeSettings, "postgresql+psycopg://rsc@127.0.0.1:1/schema-only")).openapi()

# Coherent sets of real ids (a proposal with its own attachment or information request),
# filled in by the `real_ids` fixture before the first case is generated.
REAL: list[dict[str, Any]] = []
HOSTILE_INTEGER = 2**40  # beyond PostgreSQL's `integer`


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of every string and integer in a JSON body."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        yield path, value


def _hostile(value: Any) -> Any:
    if isinstance(value, str):
        return value[:-1] + "\x00" if value else "\x00"
    return HOSTILE_INTEGER


def _replace(container: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        container = container[key]
    container[path[-1]] = value


def _reshape(case: schemathesis.Case, how: str, ids: dict[str, Any], pick: int) -> schemathesis.Case:
    if how == "as generated":
        return case
    if case.path_parameters:
        case.path_parameters = {k: ids.get(k, v) for k, v in case.path_parameters.items()}
    if "if-match" in {p.name.lower() for p in case.operation.headers}:
        case.headers = {**(case.headers or {}), "If-Match": "*"}
    body = case.body if isinstance(case.body, dict) else None
    if body is not None:
        case.body = body = {k: ids[k] if k in ("call_id", "programme_id") and k in ids else v for k, v in body.items()}
    if how == "real ids":
        return case
    # One value PostgreSQL cannot store or compare: in the path, the query or the (JSON) body.
    slots = [("path", (k,), v) for k, v in (case.path_parameters or {}).items() if isinstance(v, int)]
    slots += [("query", (k,), v) for k, v in (case.query or {}).items() if isinstance(v, str | int)]
    if body is not None and case.media_type == "application/json":
        slots += [("body", path, v) for path, v in _leaves(body) if path[:1] not in (("call_id",), ("programme_id",))]
    if slots:
        where, path, value = slots[pick % len(slots)]
        if where == "body":
            _replace(case.body, path, _hostile(value))
        elif where == "path":
            case.path_parameters = {**case.path_parameters, path[0]: _hostile(value)}
        else:
            case.query = {**case.query, path[0]: _hostile(value)}
    return case


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """As generated; with real ids; or with real ids and one PostgreSQL-hostile value (a third each)."""
    if not REAL:
        return st.just(case)
    return st.builds(
        lambda how, ids, pick: _reshape(case, how, ids, pick),
        st.sampled_from(["as generated", "real ids", "hostile value"]),
        st.sampled_from(REAL),
        st.integers(min_value=0, max_value=10_000),
    )


def load(config: dict[str, Any]) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_dict(_DOCUMENT, config=schemathesis.Config.from_dict({"seed": SEED, **config}))
    loaded.hook(flatmap_case)
    return loaded


# The coverage phase (boundary and invalid values of every field: hundreds of cases for the big
# bodies) runs once per operation, as the user who may call it; the other user gets the examples
# and fuzzing phases there (its answer is a 403 before the input is looked at, or the same
# validation as for the first user).
ADMIN_ONLY = "^POST /v1/(programmes|calls)"  # programmes, calls, questionnaire versions
as_applicant = load({"operations": [{"include-name-regex": ADMIN_ONLY, "phases": {"coverage": {"enabled": False}}}]})
as_admin = load({
    "phases": {"coverage": {"enabled": False}},
    "operations": [{"include-name-regex": ADMIN_ONLY, "phases": {"coverage": {"enabled": True}}}],
})  # fmt: skip


@schemathesis.check
def errors_are_problems(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Every 4xx/5xx answer is an RFC 9457 problem document."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith(PROBLEM_JSON), f"{response.status_code} answered as {content_type!r}"
    problem = response.json()
    assert problem.get("status") == response.status_code, problem
    assert isinstance(problem.get("title"), str), problem


CHECKS = [not_a_server_error, errors_are_problems]


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_database(MIGRATIONS) as url:
        engine = create_engine(url)
        seed(None, engine)
        yield engine
        engine.dispose()


@pytest.fixture(scope="module")
def app(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    settings = settings_for(IntakeSettings, engine.url.render_as_string(hide_password=False))
    storage = tmp_path_factory.mktemp("schemathesis-attachments")
    settings.attachments = AttachmentSettings(dir=storage, spool_dir=storage / ".spool")
    app = build_app(settings)
    yield app
    # Schemathesis keeps the lifespans of the apps it called running until the process ends;
    # end this one's now, before its database is dropped.
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    # Fresh tokens (they live 15 minutes; `token_for` caches them for the whole session).
    return {user: token_for.__wrapped__(user) for user in ("applicant-a", "rsc-admin")}


@pytest.fixture(scope="module")
def real_ids(app: FastAPI, engine: Engine, tokens: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    """Org A's draft (with an attachment), a submitted proposal and one with an open information request."""
    a = {"Authorization": f"Bearer {tokens['applicant-a']}"}
    with TestClient(app) as client:
        [call] = [c for c in client.get("/v1/calls", headers=a).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
        questionnaire = client.get(f"/v1/calls/{call['id']}/questionnaire", headers=a).json()

        def draft() -> str:
            body = {"call_id": call["id"], "content": complete_content(questionnaire)}
            response = client.post("/v1/proposals", json=body, headers=a)
            assert response.status_code == 201, response.text
            return response.json()["id"]

        def submitted() -> str:
            pid = draft()
            assert client.post(f"/v1/proposals/{pid}/submit", headers=a).status_code == 201
            return pid

        drafts = [draft() for _ in range(3)]
        attachments = []
        for pid in drafts[:2]:
            upload = client.post(f"/v1/proposals/{pid}/attachments", data={"kind": "other"},
                                 files={"file": ("tiny.pdf", PDF, "application/pdf")}, headers=a)  # fmt: skip
            assert upload.status_code == 201, upload.text
            attachments.append(upload.json()["id"])
        versions = [submitted(), submitted()]
        requested, request_id = submitted(), uuid.uuid4()
        data = AppraisalInformationRequested(
            proposal_id=requested,
            version=1,
            request_id=request_id,
            message="Who controls partner 2?",
            due_at=utcnow() + timedelta(days=10),
            requested_at=utcnow(),
        )
        envelope = EventEnvelope(type=data.event_type, schema_version=1, source="t", subject="s",
                                 data=data.model_dump(mode="json"))  # fmt: skip
        with Session(engine) as session:
            on_information_requested(session, envelope, data)
            session.commit()
    common = {"call_id": call["id"], "programme_id": call["programme_id"], "organisation_id": ORG_A,
              "version": 1, "from_version": 1, "to_version": 1}  # fmt: skip
    REAL.extend(
        [
            *(
                {**common, "proposal_id": pid, "attachment_id": aid}
                for pid, aid in zip(drafts, attachments, strict=False)
            ),
            {**common, "proposal_id": drafts[-1]},
            *({**common, "proposal_id": pid} for pid in versions),
            {**common, "proposal_id": requested, "request_id": str(request_id)},
        ]
    )
    yield REAL
    REAL.clear()


# ------------------------------------------------------------------------------------ the tests


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # no shrinking: report the failing request as sent
)


@as_applicant.parametrize()
@HYPOTHESIS
def test_as_applicant_a(case: schemathesis.Case, app: FastAPI, tokens: dict, real_ids: list) -> None:
    response = case.call(app=app, headers={"Authorization": f"Bearer {tokens['applicant-a']}"})
    case.validate_response(response, checks=CHECKS)


@as_admin.parametrize()
@HYPOTHESIS
def test_as_rsc_admin(case: schemathesis.Case, app: FastAPI, tokens: dict, real_ids: list) -> None:
    response = case.call(app=app, headers={"Authorization": f"Bearer {tokens['rsc-admin']}"})
    case.validate_response(response, checks=CHECKS)
