"""Preferences per category (immediate, digest, off; mandatory ones stay immediate) and how routing
honours them, on real PostgreSQL and Keycloak; the inbox marks read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from rsc_common.events import EventEnvelope
from rsc_common.events.types import AppraisalStatusChanged, ProposalSubmitted
from rsc_notifications.app import MIGRATIONS, build_app
from rsc_notifications.deliveries.models import Notification, ParkedEvent
from rsc_notifications.deliveries.service import next_digest, notify
from rsc_notifications.inbox.models import InboxItem
from rsc_notifications.recipients.directory import Directory
from rsc_notifications.settings import NotificationsSettings
from tests.notifications.integration.test_delivery_flow import Publisher
from tests.support.apps import service_client
from tests.support.keycloak import bearer
from tests.support.screening import clean_content, snapshot

B = bearer("applicant-b")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, NotificationsSettings, MIGRATIONS) as client:
        yield client


def test_modes_per_category(client: TestClient) -> None:
    listed = {p["category"]: p for p in client.get("/v1/preferences", headers=B).json()}
    assert listed["decisions"] == {"category": "decisions", "mode": "immediate", "mandatory": True}
    assert listed["submissions"]["mandatory"] is False
    assert client.put("/v1/preferences/decisions", headers=B, json={"mode": "off"}).status_code == 422
    assert client.put("/v1/preferences/nope", headers=B, json={"mode": "off"}).status_code == 404
    assert client.put("/v1/preferences/submissions", headers=B, json={"mode": "sometimes"}).status_code == 422
    assert client.put("/v1/preferences/submissions", headers=B, json={"mode": "digest"}).json()["mode"] == "digest"


def test_routing_honours_the_choice_and_the_inbox_marks_read(client: TestClient) -> None:
    engine = client.app.state.engine
    settings = NotificationsSettings(
        auth={"client_id": "rsc-notifications", "client_secret": "rsc-notifications-dev-secret"}
    )
    directory = Directory(settings.auth)
    subject = client.app.state.token_verifier.verify(B["Authorization"].split()[1]).subject
    client.put("/v1/preferences/submissions", headers=B, json={"mode": "digest"})
    publisher = Publisher("unused.")
    snap = snapshot(clean_content())
    events = [
        publisher.envelope(ProposalSubmitted(**{**snap.model_dump(), "submitted_by": subject}), str(snap.proposal_id)),
        publisher.envelope(
            AppraisalStatusChanged(
                proposal_id=snap.proposal_id, version=1, status="cleared", changed_at=datetime.now(UTC)
            ),
            str(snap.proposal_id),
        ),
    ]
    with Session(engine) as session:
        for envelope in [*events, events[0]]:  # the first one twice: nothing twice
            notify(session, directory, EventEnvelope.model_validate(envelope.model_dump()), "http://portal")
        session.commit()
        rows = session.exec(select(Notification).where(Notification.recipient_subject == subject)).all()
        by_category = {r.category: r for r in rows}
        assert by_category["submissions"].status == "digest"  # chosen: the daily digest
        assert by_category["submissions"].next_attempt_at == next_digest(by_category["submissions"].created_at)
        assert by_category["decisions"].status == "pending"  # mandatory: immediate
        assert len(rows) == 2
    client.put("/v1/preferences/submissions", headers=B, json={"mode": "off"})
    with Session(engine) as session:
        snap2 = snapshot(clean_content())
        off = publisher.envelope(
            ProposalSubmitted(**{**snap2.model_dump(), "submitted_by": subject}), str(snap2.proposal_id)
        )
        notify(session, directory, EventEnvelope.model_validate(off.model_dump()), "http://portal")
        session.commit()
        assert not session.exec(select(Notification).where(Notification.event_id == off.id)).all()  # no e-mail
        assert session.exec(select(InboxItem).where(InboxItem.dedupe_key.startswith(str(off.id)))).all()  # inbox
    inbox = client.get("/v1/inbox", headers=B).json()
    assert len(inbox) == 3
    assert client.get("/v1/inbox/unread-count", headers=B).json()["unread"] == 3
    assert client.post(f"/v1/inbox/{inbox[0]['id']}/read", headers=B).json()["read_at"]
    assert client.post(f"/v1/inbox/{inbox[0]['id']}/read", headers=bearer("applicant-a")).status_code == 404
    assert client.get("/v1/inbox/unread-count", headers=B).json()["unread"] == 2
    assert client.post("/v1/inbox/read-all", headers=B).json()["unread"] == 0
    assert client.post(f"/v1/inbox/{uuid.uuid4()}/read", headers=B).status_code == 404


def test_an_event_that_overtakes_its_submission_waits_for_it(client: TestClient) -> None:
    engine = client.app.state.engine
    settings = NotificationsSettings(
        auth={"client_id": "rsc-notifications", "client_secret": "rsc-notifications-dev-secret"}
    )
    directory = Directory(settings.auth)
    subject = client.app.state.token_verifier.verify(B["Authorization"].split()[1]).subject
    publisher = Publisher("unused.")
    snap = snapshot(clean_content())
    status = publisher.envelope(
        AppraisalStatusChanged(proposal_id=snap.proposal_id, version=1, status="cleared", changed_at=datetime.now(UTC)),
        str(snap.proposal_id),
    )
    submitted = publisher.envelope(
        ProposalSubmitted(**{**snap.model_dump(), "submitted_by": subject}), str(snap.proposal_id)
    )
    with Session(engine) as session:
        assert notify(session, directory, EventEnvelope.model_validate(status.model_dump()), "http://portal") == 0
        session.commit()
        assert not session.exec(select(Notification).where(Notification.event_id == status.id)).all()
        notify(session, directory, EventEnvelope.model_validate(submitted.model_dump()), "http://portal")
        session.commit()
        released = session.exec(select(Notification).where(Notification.event_id == status.id)).all()
        assert [n.category for n in released] == ["decisions"]
        assert session.exec(select(ParkedEvent)).all() == []


def test_an_integrity_alert_reaches_auditors_and_admins(client: TestClient) -> None:
    from rsc_common.events.types import AuditIntegrityAlert

    engine = client.app.state.engine
    settings = NotificationsSettings(
        auth={"client_id": "rsc-notifications", "client_secret": "rsc-notifications-dev-secret"}
    )
    alert = Publisher("unused.").envelope(
        AuditIntegrityAlert(
            first_failure_seq=7, kind="altered", detail="changed", verified_by="a", at=datetime.now(UTC)
        ),
        "audit-chain",
    )
    with Session(engine) as session:
        notify(session, Directory(settings.auth), EventEnvelope.model_validate(alert.model_dump()), "http://portal")
        session.commit()
        mails = session.exec(select(Notification).where(Notification.event_id == alert.id)).all()
    assert sorted(m.recipient_email for m in mails) == ["auditor@example.test", "rsc-admin@example.test"]
    assert all(m.subject == "Audit log integrity alert: entry 7 altered" for m in mails)


def test_digest_rows_go_out_as_one_e_mail_when_due(client: TestClient, tmp_path) -> None:
    from datetime import timedelta

    from rsc_common.db.types import utcnow
    from rsc_notifications import smtp_sink
    from rsc_notifications.deliveries.dispatcher import SmtpSender, send_due
    from tests.notifications.integration.test_delivery_flow import free_port

    engine = client.app.state.engine
    port = free_port()
    controller, mailbox = smtp_sink.start(tmp_path / "mail", port)
    settings = NotificationsSettings(smtp_port=port)
    subject = f"digest-reader-{uuid.uuid4()}"
    now = utcnow()
    with Session(engine) as session:
        for n, due in enumerate((now - timedelta(minutes=1), now - timedelta(minutes=1), now + timedelta(hours=5))):
            session.add(
                Notification(
                    dedupe_key=f"{uuid.uuid4()}:{subject}:email:x",
                    event_id=uuid.uuid4(),
                    event_type="t",
                    category="submissions",
                    recipient_subject=subject,
                    recipient_email="digest@example.test",
                    locale="de",
                    subject=f"Betreff {n}",
                    body_text="b",
                    body_html="<p>b</p>",
                    status="digest",
                    next_attempt_at=due,
                    created_at=now,
                )
            )
        session.commit()
    sender = SmtpSender(settings)
    try:
        send_due(engine, sender, settings)
    finally:
        sender.close()
        controller.stop()
    [digest] = [m for m in mailbox.messages() if "digest@example.test" in m["to"]]
    assert digest["subject"] == "Ihre Benachrichtigungen zur Forschungssicherheit (2)"
    body = mailbox.read(digest).get_body(preferencelist=("plain",)).get_content()
    assert "Betreff 0" in body
    assert "Betreff 1" in body
    assert "Betreff 2" not in body
    with Session(engine) as session:
        statuses = sorted(
            r.status for r in session.exec(select(Notification).where(Notification.recipient_subject == subject))
        )
    assert statuses == ["digest", "sent", "sent"]
