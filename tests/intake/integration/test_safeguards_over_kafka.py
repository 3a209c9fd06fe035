"""Intake's real worker on the real broker: appraisal's safeguard events reach the applicant (a
redelivered event once), and the applicant's response goes out as `proposal.safeguard_response`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaProducer
from sqlmodel import create_engine

from rsc_common.db.types import utcnow
from rsc_common.events import EventData, EventEnvelope
from rsc_common.events.topics import APPRAISAL, INTAKE, all_topics, ensure_topics
from rsc_common.events.types import SafeguardMeasureTerms, SafeguardMeasureUpdated, SafeguardsAgreed, SafeguardsProposed
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

A = bearer("applicant-a")


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[TestClient, str, str]]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    with migrated_database(MIGRATIONS) as url:
        seed(None, create_engine(url))
        with TestClient(build_app(settings_for(IntakeSettings, url))) as client:
            yield client, url, prefix


def envelope(data: EventData) -> EventEnvelope:
    return EventEnvelope(type=data.event_type, schema_version=1, source="rsc-appraisal",
                         subject=str(data.proposal_id), data=data.model_dump(mode="json"))  # fmt: skip


def send(prefix: str, *envelopes: EventEnvelope) -> None:
    producer = KafkaProducer(bootstrap_servers=KAFKA_BOOTSTRAP)
    for e in envelopes:
        producer.send(prefix + APPRAISAL, key=e.subject.encode(), value=e.to_bytes()).get(timeout=30)
    producer.close()


def measure(measure_id: str, status: str) -> SafeguardMeasureTerms:
    return SafeguardMeasureTerms(measure_id=measure_id, title="Research-security training", owner="coordinator",
                                 due_at=utcnow() + timedelta(days=30), evidence_required="attendance list",
                                 status=status)  # fmt: skip


def test_safeguards_round_trip(stack) -> None:
    client, url, prefix = stack
    [call] = [c for c in client.get("/v1/calls", headers=A).json() if c["identifier"] == DEMO_CALL_IDENTIFIER]
    questionnaire = client.get(f"/v1/calls/{call['id']}/questionnaire", headers=A).json()
    body = {"call_id": call["id"], "content": complete_content(questionnaire)}
    pid = client.post("/v1/proposals", json=body, headers=A).json()["id"]
    assert client.post(f"/v1/proposals/{pid}/submit", headers=A).status_code == 201

    def view() -> dict:
        return client.get(f"/v1/proposals/{pid}/safeguards", headers=A).json()

    case_id, at = uuid.uuid4(), utcnow()
    proposed = envelope(SafeguardsProposed(case_id=case_id, proposal_id=pid, version=1,
                                           measures=[measure("training", "proposed")], proposed_at=at))  # fmt: skip
    with worker("intake", env_for("intake", url, prefix)):
        # the proposal twice (a redelivery: the same event id), and an update of a measure nobody proposed
        unknown = measure("cyber_baseline", "accepted")
        stray = envelope(SafeguardMeasureUpdated(case_id=case_id, proposal_id=pid, version=1, measure=unknown,
                                                 updated_at=at))  # fmt: skip
        send(prefix, proposed, proposed, stray)
        assert wait_for(lambda: [m["measure_id"] for m in view()["measures"]] == ["training"])

        accepted = client.post(f"/v1/proposals/{pid}/safeguards/training/responses",
                               json={"kind": "accept", "text": "We accept."},
                               headers={**A, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
        assert accepted.status_code == 202, accepted.text

        def responses() -> list[EventEnvelope]:
            records = read_to_end(prefix + INTAKE)
            found = [EventEnvelope.from_bytes(r.value) for r in records]
            return [e for e in found if e.type == "proposal.safeguard_response" and e.subject == pid]

        assert wait_for(lambda: len(responses()) == 1)
        [event] = responses()
        assert event.data["measure_id"] == "training"
        assert (event.data["kind"], event.data["text"], event.data["version"]) == ("accept", "We accept.", 1)

        # appraisal confirms, verifies, and the safeguards are agreed
        later = at + timedelta(seconds=5)
        send(prefix,
             envelope(SafeguardMeasureUpdated(case_id=case_id, proposal_id=pid, version=1,
                                              measure=measure("training", "verified"), updated_at=later)),
             envelope(SafeguardsAgreed(case_id=case_id, proposal_id=pid, version=1,
                                       measures=[measure("training", "verified")], agreed_at=later)))  # fmt: skip
        assert wait_for(lambda: view()["agreed_at"] is not None)
    final = view()
    assert [(m["measure_id"], m["status"]) for m in final["measures"]] == [("training", "verified")]
    assert final["open"] is False
