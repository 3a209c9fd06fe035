"""Intake's real worker on the real broker: snapshots reach Kafka, appraisal's events come back,
and a submission accepted while the broker is down is published once it is back."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from sqlmodel import Session, col, create_engine, select

from rsc_common.db.types import utcnow
from rsc_common.events import EventEnvelope, OutboxEvent
from rsc_common.events.topics import APPRAISAL, INTAKE, all_topics, ensure_topics
from rsc_common.events.types import AppraisalInformationRequested
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.seed import DEMO_CALL_IDENTIFIER, seed
from rsc_intake.settings import IntakeSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.kafka import read_to_end
from tests.support.keycloak import bearer
from tests.support.proposals import complete_content
from tests.support.servers import KAFKA_BOOTSTRAP
from tests.support.workers import env_for, wait_for, worker

ROOT = Path(__file__).resolve().parents[3]
A = bearer("applicant-a")


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[TestClient, str, str]]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with migrated_database(MIGRATIONS) as url:
        seed(None, create_engine(url))
        with TestClient(build_app(settings_for(IntakeSettings, url))) as client:
            yield client, url, prefix


def submit_new(client: TestClient, partners: int = 4) -> str:
    [call] = [c for c in client.get("/v1/calls", headers=A).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
    questionnaire = client.get(f"/v1/calls/{call['id']}/questionnaire", headers=A).json()
    content = complete_content(questionnaire, partners=partners, seed=partners)
    pid = client.post("/v1/proposals", json={"call_id": call["id"], "content": content}, headers=A).json()["id"]
    response = client.post(f"/v1/proposals/{pid}/submit", headers=A)
    assert response.status_code == 201, response.text
    return pid


def snapshots_on_kafka(prefix: str) -> list[EventEnvelope]:
    envelopes = [EventEnvelope.from_bytes(r.value) for r in read_to_end(prefix + INTAKE)]
    return [e for e in envelopes if e.type == "proposal.submitted"]


def test_snapshot_reaches_kafka_and_appraisal_events_come_back(stack) -> None:
    client, url, prefix = stack
    with worker("intake", env_for("intake", url, prefix)):
        pid = submit_new(client, partners=6)
        assert wait_for(lambda: any(e.subject == pid for e in snapshots_on_kafka(prefix)))
        [event] = [e for e in snapshots_on_kafka(prefix) if e.subject == pid]
        assert event.data["version"] == 1
        assert len(event.data["content"]["partners"]) == 6
        assert event.data["content"]["self_assessment"]["answers"]

        request = AppraisalInformationRequested(
            proposal_id=pid, version=1, request_id=uuid.uuid4(), message="Please describe partner 3's owners.",
            due_at=utcnow(), requested_at=utcnow(),
        )  # fmt: skip
        envelope = EventEnvelope(type=request.event_type, schema_version=1, source="rsc-appraisal", subject=pid,
                                 data=request.model_dump(mode="json"))  # fmt: skip
        producer = KafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
        producer.send(prefix + APPRAISAL, key=pid.encode(), value=envelope.to_bytes()).get(timeout=30)
        producer.close()
        assert wait_for(
            lambda: client.get(f"/v1/proposals/{pid}", headers=A).json()["status"] == "information_requested"
        )


def kafka(command: str) -> None:
    subprocess.run(["bash", str(ROOT / "deploy/local/kafka.sh"), command], check=True, timeout=180)


def unpublished(url: str) -> int:
    with Session(create_engine(url)) as session:
        return len(session.exec(select(OutboxEvent).where(col(OutboxEvent.published_at).is_(None))).all())


def test_submission_accepted_during_a_kafka_outage_is_published_when_the_broker_is_back(stack) -> None:
    client, url, prefix = stack
    with worker("intake", env_for("intake", url, prefix)):
        # the worker is connected once it has published something: only then take the broker away
        # (a worker that starts while the broker is down exits, to be restarted by its supervisor)
        submit_new(client, partners=1)
        assert wait_for(lambda: unpublished(url) == 0, timeout=120)
        kafka("stop")
        try:
            pid = submit_new(client, partners=3)  # accepted: the API does not need the broker
            assert unpublished(url) == 1
            wait_for(lambda: False, timeout=3)  # the relay tries and fails meanwhile
            assert unpublished(url) == 1
        finally:
            kafka("start")
        assert wait_for(lambda: unpublished(url) == 0, timeout=180)
        events = [e for e in snapshots_on_kafka(prefix) if e.subject == pid]
        assert len(events) == 1  # published once, not lost, not duplicated
