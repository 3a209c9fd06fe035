"""Intake and appraisal side by side on throw-away databases and a topic prefix of their own: the APIs in
process (TestClient), the real worker processes as subprocesses. For cross-service tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlmodel import Session, create_engine

from rsc_appraisal.app import MIGRATIONS as APPRAISAL_MIGRATIONS
from rsc_appraisal.app import build_app as build_appraisal
from rsc_appraisal.seed import seed_references
from rsc_appraisal.settings import AppraisalSettings
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from rsc_intake.app import build_app as build_intake
from rsc_intake.seed import seed as seed_intake
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.servers import KAFKA_BOOTSTRAP
from tests.support.workers import env_for, worker


@dataclass
class TwoServices:
    stack: ExitStack
    prefix: str
    intake: TestClient
    appraisal: TestClient
    intake_db: str
    appraisal_db: str
    appraisal_env: dict[str, str]


@contextmanager
def intake_and_appraisal(*, demo_policy: bool = False, appraisal_worker: bool = True) -> Iterator[TwoServices]:
    """`demo_policy`: the local demo's policy variant (auto-clearance on the example country data), as
    `make up` seeds it. `appraisal_worker=False`: the test runs (and kills) the appraisal worker itself."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with ExitStack() as stack:
        intake_db = stack.enter_context(migrated_database(INTAKE_MIGRATIONS))
        appraisal_db = stack.enter_context(migrated_database(APPRAISAL_MIGRATIONS))
        seed_intake(None, create_engine(intake_db))
        with Session(create_engine(appraisal_db)) as session:
            seed_references(session, demo_policy=demo_policy)
        intake = stack.enter_context(TestClient(build_intake(settings_for(IntakeSettings, intake_db))))
        appraisal = stack.enter_context(TestClient(build_appraisal(settings_for(AppraisalSettings, appraisal_db))))
        stack.enter_context(worker("intake", env_for("intake", intake_db, prefix)))
        appraisal_env = env_for("appraisal", appraisal_db, prefix)
        if appraisal_worker:
            stack.enter_context(worker("appraisal", appraisal_env))
        yield TwoServices(stack, prefix, intake, appraisal, intake_db, appraisal_db, appraisal_env)
