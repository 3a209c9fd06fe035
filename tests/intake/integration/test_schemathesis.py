"""Schemathesis over every operation of intake's OpenAPI document, on a throw-away seeded database.

Each operation runs as applicant-a (who may write proposals) and as rsc-admin (who may create
programmes, calls and questionnaires), with generated valid and invalid input. Whatever is sent,
the service must not fail (no 5xx), and every error it answers is an RFC 9457 problem
(`application/problem+json`).

Generated UUIDs name nothing, so most cases would stop at a 404. A hook therefore reshapes the
fuzzed cases (the coverage phase's boundary cases go out as generated):
  - some as generated;
  - some naming real objects instead (org A's drafts, two with an attachment, submitted ones,
    ones with an open information request, ones with proposed safeguard measures, the demo call
    and programme), with `If-Match: *`,
    so that generated bodies get past the lookups and the lock to the domain validation;
  - some as a valid request on real objects with one value PostgreSQL cannot take (a NUL
    character in a free-text string, an integer beyond `integer`), which the API must refuse
    with a 4xx rather than fail on.
Deterministic and bounded: a fixed seed, derandomized Hypothesis, a few fuzzed examples per
operation, no shrinking (a failure is reported as the request that was sent, with a curl line).
"""

from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.python import asgi
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope
from rsc_common.events.types import AppraisalInformationRequested, SafeguardMeasureTerms, SafeguardsProposed
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.attachments.settings import AttachmentSettings
from rsc_intake.proposals.handlers import on_information_requested
from rsc_intake.safeguards.handlers import on_safeguards_proposed
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, seed
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_engine
from tests.support.fuzz import CHECKS, as_served, hypothesis_settings
from tests.support.keycloak import token_for
from tests.support.proposals import complete_content

ORG_A = "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01"
PDF = b"%PDF-1.4\n%%EOF\n"
MAX_EXAMPLES = 12  # fuzzed cases per operation and user, besides the examples and coverage phases
SEED = 20_271_101

# The document only: this app is never started (its database does not exist); the tests call the
# app built in the `app` fixture, on the throw-away database.
_DOCUMENT = build_app(settings_for(IntakeSettings, "postgresql+psycopg://rsc@127.0.0.1:1/schema-only")).openapi()

# Coherent sets of real ids (a proposal with its own attachment or information request),
# filled in by the `real_ids` fixture before the first case is generated.
REAL: list[dict[str, Any]] = []
# Valid bodies and queries per operation, also from the fixture: what the hostile values go into.
VALID: dict[str, dict[str, Any]] = {}
HOSTILE_INTEGER = 2**40  # beyond PostgreSQL's `integer`
MEASURES = ("training", "cyber_baseline", "partner_assurances")


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
    if isinstance(case.body, dict):
        case.body = {k: ids[k] if k in ("call_id", "programme_id") and k in ids else v for k, v in case.body.items()}
    if how == "real ids":
        return case
    # A valid request where we have one (generated bodies mostly stop at a validator), with one
    # value PostgreSQL cannot store or compare: in the path, the query or the JSON body.
    valid = VALID.get(case.operation.label, {})
    if "body" in valid:
        case.body = copy.deepcopy(valid["body"])
    if "query" in valid:
        case.query = dict(valid["query"])
    slots = [("path", (k,), v) for k, v in (case.path_parameters or {}).items() if isinstance(v, int)]
    slots += [("query", (k,), v) for k, v in (case.query or {}).items() if isinstance(v, str | int)]
    if isinstance(case.body, dict) and case.media_type == "application/json":
        # Integers, and strings with a space in them: free text, not a code a pattern or an enum refuses.
        slots += [("body", path, v) for path, v in _leaves(case.body) if not isinstance(v, str) or " " in v.strip()]
    if slots:
        # Hypothesis draws small numbers first: spread them over the slots.
        where, path, value = slots[random.Random(pick).randrange(len(slots))]
        if where == "body":
            _replace(case.body, path, _hostile(value))
        elif where == "path":
            case.path_parameters = {**case.path_parameters, path[0]: _hostile(value)}
        else:
            case.query = {**case.query, path[0]: _hostile(value)}
    return case


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """As generated; with real ids; or a valid request with one PostgreSQL-hostile value (a third each)."""
    if not REAL:
        return st.just(case)
    # Sets that name every object in the path (an information request with its own proposal), if any.
    fitting = [ids for ids in REAL if set(case.path_parameters or {}) <= ids.keys()] or REAL
    return st.builds(
        lambda how, ids, pick: _reshape(case, how, ids, pick),
        # Hypothesis favours the first choices; the coverage phase sends generated data unchanged anyway.
        st.sampled_from(["hostile value", "real ids", "as generated"]),
        st.sampled_from(fitting),
        st.integers(min_value=0, max_value=10_000),
    )


def load(config: dict[str, Any]) -> schemathesis.BaseSchema:
    # Only the token is masked in failure reports (the default also masks fields such as `keywords`).
    only_the_token = {"keys-to-sanitize": ["authorization"], "sensitive-markers": ["authorization"]}
    masking = {"output": {"sanitization": only_the_token}}
    config = schemathesis.Config.from_dict({"seed": SEED, **masking, **config})
    loaded = schemathesis.openapi.from_dict(_DOCUMENT, config=config)
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


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        seed(None, engine)
        yield engine


@pytest.fixture(scope="module")
def app(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = settings_for(IntakeSettings, engine.url.render_as_string(hide_password=False))
    storage = tmp_path_factory.mktemp("schemathesis-attachments")
    settings.attachments = AttachmentSettings(dir=storage, spool_dir=storage / ".spool")
    return build_app(settings)


@pytest.fixture(scope="module")
def served(app: FastAPI) -> Iterator[ASGIApp]:
    yield as_served(app)
    # Schemathesis keeps the lifespans of the apps it called running until the process ends;
    # end this one's now, before its database is dropped.
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    # Fresh tokens (they live 15 minutes; `token_for` caches them for the whole session).
    return {user: token_for.__wrapped__(user) for user in ("applicant-a", "rsc-admin")}


@pytest.fixture(scope="module")
def real_ids(app: FastAPI, engine: Engine, tokens: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    """Org A's drafts (two with an attachment), submitted ones, some with an open information request,
    some with proposed safeguard measures; and valid requests for the hostile values."""
    a = {"Authorization": f"Bearer {tokens['applicant-a']}"}
    with TestClient(app) as client:
        [call] = [c for c in client.get("/v1/calls", headers=a).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
        questionnaire = client.get(f"/v1/calls/{call['id']}/questionnaire", headers=a).json()
        profile = client.get("/v1/organisations/mine", headers=a).json()["profile"]

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
        # Answering one closes it: a few, so that later cases still find one open.
        requests = [(submitted(), uuid.uuid4()) for _ in range(3)]
        with Session(engine) as session:
            for pid, request_id in requests:
                data = AppraisalInformationRequested(
                    proposal_id=pid,
                    version=1,
                    request_id=request_id,
                    message="Who controls partner 2?",
                    due_at=utcnow() + timedelta(days=10),
                    requested_at=utcnow(),
                )
                envelope = EventEnvelope(type=data.event_type, schema_version=1, source="t", subject="s",
                                         data=data.model_dump(mode="json"))  # fmt: skip
                on_information_requested(session, envelope, data)
            session.commit()
        # Answering a measure changes its status: a few proposals with a few measures each.
        safeguarded = [submitted() for _ in range(3)]
        with Session(engine) as session:
            for pid in safeguarded:
                terms = [
                    SafeguardMeasureTerms(measure_id=m, title=m, owner="coordinator", status="proposed",
                                          due_at=utcnow() + timedelta(days=30), evidence_required="a document")
                    for m in MEASURES
                ]  # fmt: skip
                proposed = SafeguardsProposed(case_id=uuid.uuid4(), proposal_id=pid, version=1, measures=terms,
                                              proposed_at=utcnow())  # fmt: skip
                envelope = EventEnvelope(type=proposed.event_type, schema_version=1, source="t", subject="s",
                                         data=proposed.model_dump(mode="json"))  # fmt: skip
                on_safeguards_proposed(session, envelope, proposed)
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
            *({**common, "proposal_id": pid, "request_id": str(rid)} for pid, rid in requests),
            *({**common, "proposal_id": pid, "measure_id": m} for pid in safeguarded for m in MEASURES),
        ]
    )
    now = utcnow().replace(microsecond=0)
    VALID.update(
        {
            "POST /v1/programmes": {"body": {"name": "Hostile programme", "funder": "A funder",
                                             "description": "A description."}},
            "POST /v1/calls": {"body": {"programme_id": call["programme_id"], "identifier": "HOSTILE-01",
                                        "title": "A call", "opens_at": now.isoformat(),
                                        "closes_at": (now + timedelta(days=30)).isoformat()}},
            "POST /v1/calls/{call_id}/questionnaires": {"body": {"definition": questionnaire["definition"]}},
            "PUT /v1/organisations/mine/profile": {"body": profile},
            "GET /v1/proposals": {"query": {"q": "photonic"}},
            "POST /v1/proposals": {"body": {"call_id": call["id"], "content": complete_content(questionnaire)}},
            "PUT /v1/proposals/{proposal_id}/content": {"body": complete_content(questionnaire)},
            "POST /v1/proposals/{proposal_id}/withdraw": {"body": {"reason": "The consortium changed."}},
            "POST /v1/proposals/{proposal_id}/information-requests/{request_id}/response": {
                "body": {"response": "A public university."}
            },
            "POST /v1/proposals/{proposal_id}/safeguards/{measure_id}/responses": {
                "body": {"kind": "submit_evidence", "text": "The signed clause is attached.", "evidence": []}
            },
        }
    )  # fmt: skip
    yield REAL
    REAL.clear()
    VALID.clear()


# ------------------------------------------------------------------------------------ the tests


HYPOTHESIS = hypothesis_settings(MAX_EXAMPLES)


@as_applicant.parametrize()
@HYPOTHESIS
def test_as_applicant_a(case: schemathesis.Case, served: ASGIApp, tokens: dict, real_ids: list) -> None:
    response = case.call(app=served, headers={"Authorization": f"Bearer {tokens['applicant-a']}"})
    case.validate_response(response, checks=CHECKS)


@as_admin.parametrize()
@HYPOTHESIS
def test_as_rsc_admin(case: schemathesis.Case, served: ASGIApp, tokens: dict, real_ids: list) -> None:
    response = case.call(app=served, headers={"Authorization": f"Bearer {tokens['rsc-admin']}"})
    case.validate_response(response, checks=CHECKS)
