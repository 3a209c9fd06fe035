"""End to end on the real servers: an intake action and an auditor's query reach the audit log over
Kafka through the real worker processes (own databases and topic prefix), once each, even when the
relay delivers an event twice; the chain stays intact."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import create_engine

from rsc_common.events import EventEnvelope
from rsc_common.events.producer import make_producer
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_intake.app import MIGRATIONS as INTAKE_MIGRATIONS
from rsc_intake.app import build_app as build_intake
from rsc_intake.settings import IntakeSettings
from rsc_monitoring.app import MIGRATIONS as MONITORING_MIGRATIONS
from rsc_monitoring.app import build_app as build_monitoring
from rsc_monitoring.settings import MonitoringSettings
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer
from tests.support.servers import KAFKA_BOOTSTRAP, KEYCLOAK_URL
from tests.support.workers import env_for, wait_for, worker

AUDITOR = bearer("auditor")


def test_actions_and_auditor_queries_are_chained_once() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with ExitStack() as stack:
        intake_db = stack.enter_context(migrated_database(INTAKE_MIGRATIONS))
        monitoring_db = stack.enter_context(migrated_database(MONITORING_MIGRATIONS))
        intake = stack.enter_context(
            TestClient(build_intake(IntakeSettings(database_url=intake_db, auth={"keycloak_url": KEYCLOAK_URL})))
        )
        monitoring = stack.enter_context(
            TestClient(
                build_monitoring(MonitoringSettings(database_url=monitoring_db, auth={"keycloak_url": KEYCLOAK_URL}))
            )
        )
        stack.enter_context(worker("intake", env_for("intake", intake_db, prefix)))
        stack.enter_context(worker("monitoring", env_for("monitoring", monitoring_db, prefix)))

        programme = intake.post(
            "/v1/programmes",
            headers=bearer("rsc-admin"),
            json={"name": "Audit flow programme", "funder": "Audit funder"},
        )
        assert programme.status_code == 201, programme.text
        now = datetime.now(UTC)
        call = intake.post(
            "/v1/calls",
            headers=bearer("rsc-admin"),
            json={
                "programme_id": programme.json()["id"],
                "identifier": "AUDIT-2027-01",
                "title": "Quantum sensing",
                "opens_at": now.isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
            },
        )
        assert call.status_code == 201, call.text

        def entries(**params) -> list[dict]:
            return monitoring.get("/v1/audit/entries", params={"limit": 500, **params}, headers=AUDITOR).json()["items"]

        assert wait_for(lambda: any(e["action"] == "call.opened" for e in entries(service="rsc-intake")))
        [opened] = [e for e in entries(service="rsc-intake") if e["action"] == "call.opened"]
        assert opened["subject"] == call.json()["id"]
        assert opened["details"]["identifier"] == "AUDIT-2027-01"
        assert "Quantum sensing" in opened["description"]

        # the relay is at-least-once: the same event delivered again is not chained again
        with create_engine(intake_db).connect() as conn:
            payload = conn.execute(
                text("SELECT payload FROM outbox_event WHERE event_type = 'call.opened'")
            ).scalar_one()
        # then a marker behind it in the same partition: once the marker is chained, so was the redelivery
        marker = EventEnvelope(**{**payload, "id": str(uuid.uuid4())})
        producer = make_producer(KAFKA_BOOTSTRAP, "test-redeliver")
        for envelope in (EventEnvelope(**payload), marker):
            producer.send(f"{prefix}rsc.intake.events", key=payload["subject"].encode(), value=envelope.to_bytes())
        producer.flush()
        producer.close()
        assert wait_for(lambda: any(e["event_id"] == str(marker.id) for e in entries(service="rsc-intake")))
        assert len([e for e in entries(service="rsc-intake") if e["action"] == "call.opened"]) == 2

        # the auditor's own searches are chained too (monitoring's outbox → Kafka → audit consumer)
        assert wait_for(lambda: any(e["action"] == "audit.queried" for e in entries(action="audit.queried")))
        queried = entries(action="audit.queried")[-1]
        assert queried["service"] == "rsc-monitoring"
        assert queried["actor"] == queried["details"]["queried_by"]

        verification = monitoring.get("/v1/audit/verification", headers=AUDITOR).json()
        assert verification["intact"] is True
        assert verification["entries"] >= 2
