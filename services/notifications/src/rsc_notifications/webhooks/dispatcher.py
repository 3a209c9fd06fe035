"""The webhook loop of the worker: posts due deliveries, signed, one at a time under `FOR UPDATE SKIP
LOCKED`; logs every attempt; retries failures with backoff and jitter; after `webhook_max_attempts`
the delivery is dead (the dead-letter store) until an admin replays it."""

from __future__ import annotations

import json
import logging
import threading
import time

import httpx
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from rsc_common.db.types import utcnow
from rsc_notifications.deliveries.backoff import retry_delay
from rsc_notifications.settings import NotificationsSettings
from rsc_notifications.webhooks import signing
from rsc_notifications.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger(__name__)


def post_due(engine: Engine, client: httpx.Client, settings: NotificationsSettings) -> int:
    done = 0
    for _ in range(settings.dispatch_batch):
        with Session(engine) as session:
            delivery = session.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", col(WebhookDelivery.next_attempt_at) <= utcnow())
                .order_by(col(WebhookDelivery.next_attempt_at))
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if delivery is None:
                break
            subscription = session.get(WebhookSubscription, delivery.subscription_id)
            attempt(session, client, delivery, subscription, settings)
            session.commit()
            done += 1
    return done


def attempt(
    session: Session,
    client: httpx.Client,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    settings: NotificationsSettings,
) -> None:
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    now = int(time.time())
    headers = {
        "Content-Type": "application/json",
        signing.HEADER: signing.header(now, body, subscription.secret, subscription.previous_secret),
        "RSC-Event-Id": str(delivery.event_id),
        "RSC-Event-Type": delivery.event_type,
        "RSC-Delivery-Id": str(delivery.id),
    }
    delivery.attempts += 1
    started = time.perf_counter()
    status_code, error = None, None
    try:
        response = client.post(
            subscription.url, content=body, headers=headers, timeout=settings.webhook_timeout_seconds
        )
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    milliseconds = int((time.perf_counter() - started) * 1000)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            at=utcnow(),
            status_code=status_code,
            error=error,
            milliseconds=milliseconds,
        )
    )
    delivery.last_status_code, delivery.last_error = status_code, error
    if error is None:
        delivery.status, delivery.delivered_at = "delivered", utcnow()
    elif delivery.attempts >= settings.webhook_max_attempts:
        delivery.status = "dead"
        log.warning("webhook delivery %s dead after %d attempts: %s", delivery.id, delivery.attempts, error)
    else:
        delivery.next_attempt_at = utcnow() + retry_delay(
            delivery.attempts, settings.retry_initial_seconds, settings.retry_max_seconds
        )
    session.add(delivery)


def webhook_loop(engine: Engine, settings: NotificationsSettings):
    def run(stop: threading.Event) -> None:
        with httpx.Client(follow_redirects=False) as client:
            while not stop.is_set():
                try:
                    busy = post_due(engine, client, settings)
                except Exception:
                    log.exception("webhook loop failed; retrying")
                    busy = 0
                if not busy:
                    stop.wait(settings.dispatch_interval_seconds)

    return run
