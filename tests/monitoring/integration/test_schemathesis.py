"""Schemathesis over every operation of monitoring's OpenAPI document, on a throw-away seeded database:
whatever is sent, no 5xx, and every error is an RFC 9457 problem.

Each operation runs as the role it is meant for (grantee routes as applicant-a, reports as the
reporting officer, the audit log as the auditor, exercises as the admin, the rest as a case officer)
and once more as applicant-a (a grantee must be refused cleanly where it has no business). A hook
sends half of the cases with real ids (org A's grants, incidents in each state, their measures, an
exercise, audit entries), so generated bodies get past the lookups to the domain rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.python import asgi
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.types import ASGIApp

from rsc_common.auth import Principal
from rsc_monitoring.app import MIGRATIONS, build_app
from rsc_monitoring.exercises import service as exercises
from rsc_monitoring.facts.handlers import upsert_fact
from rsc_monitoring.grants import service as grants
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.grants.plan import default_plan
from rsc_monitoring.incidents import service as incidents
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.settings import MonitoringSettings
from tests.monitoring.audit_support import append_events, decided
from tests.monitoring.grant_support import ORG_A, award
from tests.support.apps import settings_for
from tests.support.databases import migrated_engine
from tests.support.fuzz import CHECKS, as_served, hypothesis_settings
from tests.support.keycloak import subject_of, token_for

MAX_EXAMPLES = 10
USERS = ("applicant-a", "officer", "rsc-admin", "reporter", "auditor")
_DOCUMENT = build_app(settings_for(MonitoringSettings, "postgresql+psycopg://rsc@127.0.0.1:1/schema-only")).openapi()
REAL: list[dict[str, Any]] = []


def role_for(label: str) -> str:
    if "/v1/reports" in label:
        return "reporter"
    if "/v1/audit" in label:
        return "auditor"
    if "/v1/exercises" in label:
        return "rsc-admin"
    if label.startswith("POST /v1/grants") and ("/evidence" in label or "/attestations" in label):
        return "applicant-a"
    return "officer"


def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    if not REAL or not case.path_parameters:
        return st.just(case)
    fitting = [ids for ids in REAL if set(case.path_parameters) <= ids.keys()]
    if not fitting:
        return st.just(case)

    def reshape(real: bool, ids: dict[str, Any]) -> schemathesis.Case:
        if real:
            case.path_parameters = {k: ids[k] for k in case.path_parameters}
        return case

    return st.builds(reshape, st.booleans(), st.sampled_from(fitting))


config = schemathesis.Config.from_dict(
    {"seed": 20_271_206, "output": {"sanitization": {"keys-to-sanitize": ["authorization"]}}}
)
schema = schemathesis.openapi.from_dict(_DOCUMENT, config=config)
schema.hook(flatmap_case)
HYPOTHESIS = hypothesis_settings(MAX_EXAMPLES)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with migrated_engine(MIGRATIONS) as engine:
        yield engine


@pytest.fixture(scope="module")
def served(engine: Engine) -> Iterator[ASGIApp]:
    yield as_served(build_app(settings_for(MonitoringSettings, engine.url.render_as_string(hide_password=False))))
    asgi.shutdown_lifespans()


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    return {user: token_for.__wrapped__(user) for user in USERS}


@pytest.fixture(scope="module")
def real_ids(engine: Engine, tokens: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    officer = Principal(subject_of("officer"), None, frozenset({"case_officer"}), None, None, None, None)
    policy = default_policy()
    with Session(engine, expire_on_commit=False) as session:
        references, incident_ids, measure_ids = [], [], []
        for _ in range(3):
            data = award(datetime.now(UTC) - timedelta(days=1), level="high")
            upsert_fact(session, data.proposal_id, 1, organisation_id=ORG_A)
            grant, _ = grants.create_from_award(session, data, default_plan())
            references.append(grant.reference)

        def report(grant=None):
            return incidents.report(
                session, policy, channel=Channel.officer, incident_type="suspicious_approach", severity="medium",
                title="approach", description="details", grant=grant, reporter_subject=officer.subject,
            )  # fmt: skip

        grant = session.exec(select(GrantAward)).first()
        fresh, triaged, acting = report(grant), report(), report(grant)
        incidents.triage(session, policy, triaged, officer, severity="high", assignees=[], note="n")
        incidents.triage(session, policy, acting, officer, severity="high", assignees=[], note="n")
        incidents.investigate(session, acting, officer, "n")
        measure = incidents.decide_measures(
            session, policy, acting, officer, [{"kind": "corrective_plan", "owner": "o", "note": "n"}], "n"
        )[0]
        incident_ids += [fresh.id, triaged.id, acting.id]
        measure_ids.append(measure.id)
        exercise, _ = exercises.start(
            session,
            Principal("admin", None, frozenset({"admin"}), None, None, None, None),
            name="drill",
            participants=[officer.subject],
            injections=[("data-breach", references[0])],
        )
        session.commit()
    append_events(engine, [decided(n) for n in range(5)])
    REAL.extend(
        [
            *({"reference": r, "measure_id": "SG-TRAINING", "seq": 3} for r in references),
            *({"incident_id": str(i), "measure_id": str(measure_ids[0])} for i in incident_ids),
            {"exercise_id": str(exercise.id), "seq": 1},
        ]
    )
    yield REAL
    REAL.clear()


@schema.parametrize()
@HYPOTHESIS
def test_as_the_intended_role(case: schemathesis.Case, served: ASGIApp, tokens: dict, real_ids: list) -> None:
    user = role_for(case.operation.label)
    response = case.call(app=served, headers={"Authorization": f"Bearer {tokens[user]}"})
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@HYPOTHESIS
def test_as_a_grantee(case: schemathesis.Case, served: ASGIApp, tokens: dict, real_ids: list) -> None:
    response = case.call(app=served, headers={"Authorization": f"Bearer {tokens['applicant-a']}"})
    case.validate_response(response, checks=CHECKS)


def test_the_fuzzed_document_covers_every_route() -> None:
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert {"POST /v1/tips", "GET /v1/audit/verification", "GET /v1/reports/national"} <= labels
    assert len(labels) >= 25
