from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import col, select

from rsc_common.auth import CurrentPrincipal
from rsc_common.db.types import utcnow
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_notifications.inbox.models import InboxItem

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


class InboxItemPublic(BaseModel):
    id: uuid.UUID
    category: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class UnreadCount(BaseModel):
    unread: int


@router.get("", response_model=list[InboxItemPublic], summary="The caller's notifications, unread first")
def list_inbox(session: SessionDep, principal: CurrentPrincipal) -> list:
    return list(
        session.exec(
            select(InboxItem)
            .where(InboxItem.recipient_subject == principal.subject)
            .order_by(col(InboxItem.read_at).is_not(None), col(InboxItem.created_at).desc())
            .limit(200)
        )
    )


@router.get("/unread-count", response_model=UnreadCount, summary="How many notifications are unread")
def unread_count(session: SessionDep, principal: CurrentPrincipal) -> UnreadCount:
    count = session.exec(
        select(func.count())
        .select_from(InboxItem)
        .where(InboxItem.recipient_subject == principal.subject, col(InboxItem.read_at).is_(None))
    ).one()
    return UnreadCount(unread=count)


@router.post("/{item_id}/read", response_model=InboxItemPublic, summary="Mark one notification read")
def mark_read(item_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> InboxItem:
    item = session.get(InboxItem, item_id)
    if item is None or item.recipient_subject != principal.subject:
        raise ProblemError(404, "not-found", f"There is no notification {item_id} for you.")
    if item.read_at is None:
        item.read_at = utcnow()
        session.add(item)
        session.commit()
    return item


@router.post("/read-all", response_model=UnreadCount, summary="Mark every notification read")
def mark_all_read(session: SessionDep, principal: CurrentPrincipal) -> UnreadCount:
    session.execute(
        update(InboxItem)
        .where(InboxItem.recipient_subject == principal.subject, col(InboxItem.read_at).is_(None))
        .values(read_at=utcnow())
    )
    session.commit()
    return UnreadCount(unread=0)
