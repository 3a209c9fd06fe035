"""Notifications end to end on the real Kafka, Keycloak and the SMTP sink, through the real worker
process: an information request reaches the applicant by e-mail in their locale and in the inbox; a
case assignment reaches the officer; an SLA escalation reaches the supervisor role; a redelivered
event sends nothing twice; an SMTP outage followed by recovery delivers everything exactly once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from rsc_common.auth import TokenVerifier
from rsc_common.events import EventData, EventEnvelope
from rsc_common.events.producer import make_producer
from rsc_common.events.topics import all_topics, ensure_topics
from rsc_common.events.types import (
    AppraisalInformationRequested,
    AppraisalStatusChanged,
    CaseChanged,
    ProposalSubmitted,
    SlaEscalated,
)
from rsc_notifications import smtp_sink
from rsc_notifications.app import MIGRATIONS, build_app
from rsc_notifications.settings import NotificationsSettings
from tests.support.apps import settings_for
from tests.support.databases import migrated_database
from tests.support.keycloak import bearer, token_for
from tests.support.screening import clean_content, snapshot
from tests.support.servers import KAFKA_BOOTSTRAP, free_port
from tests.support.workers import env_for, wait_for, worker


def notifications_env(database: str, prefix: str, smtp_port: int, **extra: str) -> dict[str, str]:
    p = "RSC_NOTIFICATIONS_"
    return {
        **env_for("notifications", database, prefix),
        p + "SMTP_PORT": str(smtp_port),
        p + "AUTH__CLIENT_ID": "rsc-notifications",
        p + "AUTH__CLIENT_SECRET": "rsc-notifications-dev-secret",
        p + "DISPATCH_INTERVAL_SECONDS": "0.1",
        p + "RETRY_INITIAL_SECONDS": "0.3",
        p + "RETRY_MAX_SECONDS": "1.0",
        **{p + k: v for k, v in extra.items()},
    }


class Publisher:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.producer = make_producer(KAFKA_BOOTSTRAP, "test-publisher")

    def envelope(self, data: EventData, subject: str) -> EventEnvelope:
        return EventEnvelope(
            type=data.event_type, schema_version=1, source="test", subject=subject, data=data.model_dump(mode="json")
        )

    def send(self, envelope: EventEnvelope, topic: str) -> EventEnvelope:
        self.producer.send(self.prefix + topic, key=envelope.subject.encode(), value=envelope.to_bytes())
        self.producer.flush()
        return envelope

    def publish(self, data: EventData, subject: str) -> EventEnvelope:
        return self.send(self.envelope(data, subject), data.topic)


@pytest.fixture(scope="module")
def subjects() -> dict[str, str]:
    verifier = TokenVerifier(NotificationsSettings().auth)
    return {u: verifier.verify(token_for(u)).subject for u in ("applicant-b", "officer", "officer-2", "supervisor")}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Publisher, TestClient, smtp_sink.Mailbox, dict]]:
    prefix = f"t{uuid.uuid4().hex[:8]}."
    ensure_topics(KAFKA_BOOTSTRAP, all_topics(prefix), partitions=2)
    port = free_port()
    controller, mailbox = smtp_sink.start(tmp_path / "mail", port)
    with migrated_database(MIGRATIONS) as database:
        api = TestClient(build_app(settings_for(NotificationsSettings, database)))
        state = {"controller": controller, "port": port, "folder": tmp_path / "mail", "database": database}
        with api, worker("notifications", notifications_env(database, prefix, port)):
            yield Publisher(prefix), api, mailbox, state
        state["controller"].stop()


def mails_to(mailbox: smtp_sink.Mailbox, address: str) -> list[dict]:
    return [m for m in mailbox.messages() if address in m["to"]]


def test_routing_locales_inbox_and_no_second_mail(stack, subjects: dict[str, str]) -> None:
    publisher, api, mailbox, _state = stack
    content = clean_content()
    content["details"]["acronym"] = "QSENSE"
    snap = snapshot(content)
    submitted = ProposalSubmitted(**{**snap.model_dump(), "submitted_by": subjects["applicant-b"]})
    publisher.publish(submitted, str(snap.proposal_id))
    due = datetime.now(UTC) + timedelta(days=10)
    request = AppraisalInformationRequested(
        proposal_id=snap.proposal_id, version=1, request_id=uuid.uuid4(), message="Qui contrôle le partenaire 2 ?",
        due_at=due, requested_at=datetime.now(UTC),
    )  # fmt: skip
    asked = publisher.publish(request, str(snap.proposal_id))

    # the applicant (locale fr): the receipt and the request, in French, by e-mail and in the inbox
    assert wait_for(lambda: len(mails_to(mailbox, "applicant-b@example.test")) == 2, timeout=60)
    subjects_fr = sorted(m["subject"] for m in mails_to(mailbox, "applicant-b@example.test"))
    assert subjects_fr == ["Demande d'informations sur la proposition QSENSE", "Proposition QSENSE reçue"]
    assert {m["language"] for m in mails_to(mailbox, "applicant-b@example.test")} == {"fr"}
    [mail] = [m for m in mails_to(mailbox, "applicant-b@example.test") if "Demande" in m["subject"]]
    body = mailbox.read(mail).get_body(preferencelist=("plain",)).get_content()
    assert "Qui contrôle le partenaire 2 ?" in body
    assert due.strftime("%Y-%m-%d") in body
    inbox = api.get("/v1/inbox", headers=bearer("applicant-b")).json()
    assert "Demande d'informations sur la proposition QSENSE" in [i["title"] for i in inbox]
    assert api.get("/v1/inbox/unread-count", headers=bearer("applicant-b")).json()["unread"] == 2

    # a case assignment reaches the officer assigned (de); the one who assigned is not told
    case_id = uuid.uuid4()
    publisher.publish(
        CaseChanged(
            case_id=case_id,
            proposal_id=snap.proposal_id,
            version=1,
            seq=3,
            action="assign",
            actor=subjects["officer"],
            from_status="open",
            to_status="open",
            level="high",
            summary="assigned for review",
            assignees=[subjects["officer"], subjects["officer-2"]],
            at=datetime.now(UTC),
        ),
        str(snap.proposal_id),
    )
    assert wait_for(lambda: len(mails_to(mailbox, "officer-2@example.test")) == 1, timeout=60)
    assert mails_to(mailbox, "officer-2@example.test")[0]["subject"] == f"Fall {case_id} wurde Ihnen zugewiesen"
    assert mails_to(mailbox, "officer@example.test") == []

    # an SLA escalation reaches the members of the role it names (the supervisor, fr)
    publisher.publish(
        SlaEscalated(
            clock_id=f"sla-appraisal:{snap.proposal_id}:v1",
            case_ref="C-1",
            proposal_id=snap.proposal_id,
            version=1,
            programme="P",
            config_version="1",
            level="high",
            status="running",
            due_at=datetime.now(UTC),
            budget_working_days=40,
            used_working_days=40,
            remaining_working_days=0,
            at=datetime.now(UTC),
            fraction=1.0,
            to_role="appraisal_supervisor",
        ),
        str(snap.proposal_id),
    )
    assert wait_for(lambda: len(mails_to(mailbox, "supervisor@example.test")) == 1, timeout=60)
    assert mails_to(mailbox, "supervisor@example.test")[0]["subject"].startswith("Escalade : le dossier C-1")

    # the information request delivered again: no second e-mail, no second inbox item
    publisher.send(asked, "rsc.appraisal.events")
    marker = publisher.publish(
        AppraisalStatusChanged(proposal_id=snap.proposal_id, version=1, status="cleared", changed_at=datetime.now(UTC)),
        str(snap.proposal_id),
    )
    assert wait_for(lambda: len(mails_to(mailbox, "applicant-b@example.test")) == 3, timeout=60)
    assert marker  # processed after the redelivery (same partition)
    keys = Counter(m["notification"] for m in mailbox.messages())
    assert all(n == 1 for n in keys.values()), keys
    assert len(api.get("/v1/inbox", headers=bearer("applicant-b")).json()) == 3


def test_an_smtp_outage_delays_but_loses_and_duplicates_nothing(stack, subjects: dict[str, str]) -> None:
    publisher, _api, mailbox, state = stack
    snap = snapshot(clean_content())
    publisher.publish(ProposalSubmitted(**{**snap.model_dump(), "submitted_by": subjects["applicant-b"]}),
                      str(snap.proposal_id))  # fmt: skip
    assert wait_for(lambda: len(mails_to(mailbox, "applicant-b@example.test")) == 1, timeout=60)
    state["controller"].stop()  # the SMTP server goes away
    for status in ("under_security_appraisal", "safeguards_proposed", "cleared_with_safeguards"):
        publisher.publish(
            AppraisalStatusChanged(
                proposal_id=snap.proposal_id, version=1, status=status, changed_at=datetime.now(UTC)
            ),
            str(snap.proposal_id),
        )
    engine = create_engine(state["database"])

    def failing() -> int:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM notification WHERE status = 'pending' AND attempts >= 2")
            ).scalar_one()

    assert wait_for(lambda: failing() == 3, timeout=60)  # tried, failed, waiting to retry
    controller, _ = smtp_sink.start(state["folder"], state["port"])  # the server is back
    state["controller"] = controller
    assert wait_for(lambda: len(mails_to(mailbox, "applicant-b@example.test")) == 4, timeout=60)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM notification GROUP BY status")).all()
    engine.dispose()
    assert dict(rows) == {"sent": 4}
    keys = Counter(m["notification"] for m in mailbox.messages())
    assert sorted(keys.values()) == [1, 1, 1, 1]
