"""Notifications' in-app inbox: each user sees only their own items, unread first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from rsc_common.auth import TokenVerifier
from rsc_common.db.types import utcnow
from rsc_notifications.app import MIGRATIONS, build_app
from rsc_notifications.inbox.models import InboxItem
from rsc_notifications.settings import NotificationsSettings
from tests.support.apps import service_client
from tests.support.keycloak import bearer, token_for


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with service_client(build_app, NotificationsSettings, MIGRATIONS) as client:
        yield client


def subject_of(username: str, client: TestClient) -> str:
    verifier: TokenVerifier = client.app.state.token_verifier
    return verifier.verify(token_for(username)).subject


def test_inbox_lists_own_items_unread_first(client: TestClient) -> None:
    me, other = subject_of("applicant-a", client), subject_of("applicant-b", client)
    now = utcnow()
    with Session(client.app.state.engine) as session:
        session.add(
            InboxItem(
                recipient_subject=me,
                category="c",
                title="old read",
                body="b",
                created_at=now - timedelta(hours=2),
                read_at=now,
            )
        )
        session.add(
            InboxItem(recipient_subject=me, category="c", title="unread", body="b", created_at=now - timedelta(hours=3))
        )
        session.add(InboxItem(recipient_subject=other, category="c", title="not yours", body="b"))
        session.commit()
    items = client.get("/v1/inbox", headers=bearer("applicant-a")).json()
    assert [i["title"] for i in items] == ["unread", "old read"]
    assert client.get("/v1/inbox/unread-count", headers=bearer("applicant-a")).json() == {"unread": 1}
    assert client.get("/v1/inbox/unread-count", headers=bearer("applicant-b")).json() == {"unread": 1}


def test_ready_without_temporal(client: TestClient) -> None:
    assert client.get("/readyz").json()["checks"] == {"database": "ok", "kafka": "ok"}
