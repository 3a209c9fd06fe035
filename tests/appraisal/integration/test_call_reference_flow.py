"""End to end across services: intake opens a call; appraisal's worker learns about it over Kafka.

The real worker processes (`rsc-intake worker`, `rsc-appraisal worker`) run as subprocesses on
throw-away databases and their own topic prefix, so a running `make up` stack is not disturbed.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import create_engine

from rsc_appraisal.app import MIGRATIONS as APPRAISAL_MIGRATIONS
from rsc_appraisal.app import build_app as build_appraisal
from rsc_appraisal.settings import AppraisalSettings
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from rsc_intake.app import build_app as build_intake
from rsc_intake.seed import seed
from rsc_intake.settings import IntakeSettings
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL
from tests.support.workers import env_for, wait_for, worker


def test_call_opened_in_intake_reaches_appraisal_read_model() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with ExitStack() as stack:
        intake_db = stack.enter_context(migrated_database(INTAKE_MIGRATIONS))
        appraisal_db = stack.enter_context(migrated_database(APPRAISAL_MIGRATIONS))
        intake_env = env_for("intake", intake_db, prefix)
        appraisal_env = env_for("appraisal", appraisal_db, prefix)
        seed(None, create_engine(intake_db))  # its demo call is published too

        intake = stack.enter_context(
            TestClient(build_intake(IntakeSettings(database_url=intake_db, auth={"keycloak_url": KEYCLOAK_URL})))
        )
        appraisal = stack.enter_context(
            TestClient(
                build_appraisal(AppraisalSettings(database_url=appraisal_db, auth={"keycloak_url": KEYCLOAK_URL}))
            )
        )
        stack.enter_context(worker("intake", intake_env))
        stack.enter_context(worker("appraisal", appraisal_env))

        programme_id = intake.get("/v1/programmes", headers=bearer("rsc-admin")).json()[0]["id"]
        now = datetime.now(UTC)
        created = intake.post(
            "/v1/calls",
            headers=bearer("rsc-admin"),
            json={
                "programme_id": programme_id,
                "identifier": "E2E-2027-01",
                "title": "Advanced semiconductors",
                "opens_at": now.isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
            },
        ).json()

        def appraisal_knows() -> bool:
            calls = appraisal.get("/v1/calls", headers=bearer("officer")).json()
            return {c["identifier"] for c in calls} >= {"E2E-2027-01", "DEMO-2027-RIA-01"}

        assert wait_for(appraisal_knows), appraisal.get("/v1/calls", headers=bearer("officer")).json()
        [known] = [
            c for c in appraisal.get("/v1/calls", headers=bearer("officer")).json() if c["call_id"] == created["id"]
        ]
        assert known["title"] == "Advanced semiconductors"
        assert appraisal.get("/v1/calls", headers=bearer("applicant-a")).status_code == 403
