"""Webhook subscriptions (admins), the delivery log, the dead-letter store and manual replay."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, HttpUrl
from sqlmodel import col, select

from rsc_common.db.types import utcnow
from rsc_common.events import registered
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_notifications.permissions import Admin
from rsc_notifications.webhooks import signing
from rsc_notifications.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisation_id: uuid.UUID | None = Field(
        default=None, description="An institution (applicant-safe fields only); none = the funder's own systems."
    )
    event_types: list[str] = Field(min_length=1, max_length=100, description='Event types, or ["*"].')
    url: HttpUrl


class SubscriptionPublic(BaseModel):
    id: uuid.UUID
    organisation_id: uuid.UUID | None
    event_types: list[str]
    url: str
    active: bool
    created_at: datetime
    rotated_at: datetime | None


class SubscriptionCreated(SubscriptionPublic):
    secret: str = Field(description="Shown once: verify the RSC-Signature header with it.")


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptPublic(BaseModel):
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    milliseconds: int


def _subscription(session, subscription_id: uuid.UUID) -> WebhookSubscription:
    found = session.get(WebhookSubscription, subscription_id)
    if found is None:
        raise ProblemError(404, "subscription-not-found", f"There is no subscription {subscription_id}.")
    return found


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201, summary="Subscribe a URL")
def subscribe(data: SubscriptionCreate, principal: Admin, session: SessionDep) -> Any:
    known = {t for t, _v in registered()}
    unknown = sorted(set(data.event_types) - known - {"*"})
    if unknown:
        raise ProblemError(
            422, "unknown-event-types", f"Unknown event types: {', '.join(unknown)}", pointer="/event_types"
        )
    subscription = WebhookSubscription(
        organisation_id=data.organisation_id,
        event_types=sorted(set(data.event_types)),
        url=str(data.url),
        secret=signing.new_secret(),
        created_by=principal.subject,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.commit()
    return SubscriptionCreated(**SubscriptionPublic.model_validate(subscription, from_attributes=True).model_dump(),
                               secret=subscription.secret)  # fmt: skip


@router.get("/subscriptions", response_model=list[SubscriptionPublic], summary="Subscriptions (no secrets)")
def list_subscriptions(_: Admin, session: SessionDep) -> Any:
    return session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.created_at))).all()


@router.post(
    "/subscriptions/{subscription_id}/rotation",
    response_model=SubscriptionCreated,
    summary="A new secret; the previous one keeps signing too until the next rotation",
)
def rotate(subscription_id: uuid.UUID, _: Admin, session: SessionDep) -> Any:
    subscription = _subscription(session, subscription_id)
    subscription.previous_secret, subscription.secret = subscription.secret, signing.new_secret()
    subscription.rotated_at = utcnow()
    session.add(subscription)
    session.commit()
    return SubscriptionCreated(**SubscriptionPublic.model_validate(subscription, from_attributes=True).model_dump(),
                               secret=subscription.secret)  # fmt: skip


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Stop a subscription")
def unsubscribe(subscription_id: uuid.UUID, _: Admin, session: SessionDep) -> None:
    subscription = _subscription(session, subscription_id)
    subscription.active = False
    session.add(subscription)
    session.commit()


@router.get("/deliveries", response_model=list[DeliveryPublic], summary="Deliveries (status=dead: the dead letters)")
def deliveries(
    _: Admin,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern=r"^(pending|delivered|dead)$")] = None,
    subscription_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Any:
    query = select(WebhookDelivery)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if subscription_id:
        query = query.where(WebhookDelivery.subscription_id == subscription_id)
    return session.exec(query.order_by(col(WebhookDelivery.created_at).desc()).limit(limit)).all()


@router.get("/deliveries/{delivery_id}/attempts", response_model=list[AttemptPublic], summary="The delivery log")
def attempts(delivery_id: uuid.UUID, _: Admin, session: SessionDep) -> Any:
    return session.exec(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id).order_by(col(WebhookAttempt.attempt))
    ).all()


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryPublic, summary="Send a dead delivery again")
def replay(delivery_id: uuid.UUID, _: Admin, session: SessionDep) -> Any:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise ProblemError(404, "delivery-not-found", f"There is no delivery {delivery_id}.")
    if delivery.status != "dead":
        raise ProblemError(409, "not-dead", f"Only dead deliveries are replayed; this one is {delivery.status}.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    session.add(delivery)
    session.commit()
    return delivery
