"""Transactional outbox: the relay that publishes committed events to Kafka.

Rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of relay replicas can run side by
side. A row is marked published only after the broker acknowledged it (acks=all). If the process
dies between the acknowledgement and the commit, the rows stay unpublished and are sent again on
restart: delivery is at-least-once, and consumers make it effectively-once by event id.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from kafka import KafkaProducer
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from sqlalchemy import Engine, Row, Text, bindparam, cast, delete, select, update
from sqlmodel import Session, col

from rsc_common.db.types import utcnow
from rsc_common.events.envelope import EVENT_ID_HEADER, EVENT_TYPE_HEADER
from rsc_common.events.models import OutboxEvent
from rsc_common.telemetry import context_from_carrier, current_trace_carrier, kafka_headers_from_carrier

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("rsc.outbox")


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        producer: KafkaProducer,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.2,
        retention: timedelta = timedelta(days=7),
        on_published: Callable[[list[Row]], None] | None = None,
        topic_prefix: str = "",
    ) -> None:
        self.engine = engine
        self.producer = producer
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retention = retention
        self.topic_prefix = topic_prefix
        # Called after the broker acknowledged a batch and before it is marked published
        # (metrics; the crash-recovery test kills the process here).
        self.on_published = on_published

    def publish_batch(self) -> int:
        """Publish one batch of unpublished rows; returns how many were marked published."""
        with Session(self.engine) as session:
            rows = session.execute(_CLAIM_BATCH, {"limit": self.batch_size}).all()
            if not rows:
                return 0
            futures = []
            for row in rows:
                topic = self.topic_prefix + row.topic
                with _tracer.start_as_current_span(
                    f"{topic} publish",
                    context=context_from_carrier(row.headers),
                    kind=SpanKind.PRODUCER,
                ) as span:
                    span.set_attribute("messaging.system", "kafka")
                    span.set_attribute("messaging.destination.name", topic)
                    span.set_attribute("messaging.message.id", str(row.id))
                    futures.append(
                        self.producer.send(
                            topic,
                            key=row.key.encode(),
                            value=row.payload.encode(),
                            headers=[
                                *kafka_headers_from_carrier(current_trace_carrier()),
                                (EVENT_TYPE_HEADER, row.event_type.encode()),
                                (EVENT_ID_HEADER, str(row.id).encode()),
                            ],
                        )
                    )
            self.producer.flush()
            sent: list[Row] = []
            for row, future in zip(rows, futures, strict=True):
                try:
                    future.get(timeout=30)
                    sent.append(row)
                except Exception as exc:  # broker refused or timed out: keep the row, retry later
                    log.warning("outbox publish failed for %s: %s", row.id, exc)
                    session.execute(_RECORD_FAILURE, {"row_id": row.id, "error": str(exc)[:2000]})
                    break  # keep per-key order: later rows wait for this one
            if self.on_published is not None:
                self.on_published(sent)
            if sent:  # one UPDATE for the batch
                session.execute(_MARK_PUBLISHED, {"ids": [row.id for row in sent], "now": utcnow()})
            session.commit()
            return len(sent)

    def purge_published(self) -> int:
        """Published rows are kept for `retention` (diagnosis, replay), then deleted."""
        with Session(self.engine) as session:
            result = session.execute(
                delete(OutboxEvent).where(
                    col(OutboxEvent.published_at).is_not(None),
                    col(OutboxEvent.published_at) < utcnow() - self.retention,
                )
            )
            session.commit()
            return result.rowcount or 0

    def run(self, stop: threading.Event) -> None:
        log.info("outbox relay started")
        last_purge = 0.0
        while not stop.is_set():
            try:
                published = self.publish_batch()
                if stop.wait(0) or published == self.batch_size:
                    continue  # more waiting: drain without sleeping
                if (now := time.monotonic()) - last_purge > 3600:
                    self.purge_published()
                    last_purge = now
            except Exception:
                log.exception("outbox relay iteration failed; retrying")
                stop.wait(1.0)
            stop.wait(self.poll_interval)
        log.info("outbox relay stopped")


_OUTBOX = OutboxEvent.__table__
# Built once (the relay runs them several times a second). The payload is read as JSON text and sent as
# it is: parsing the JSONB into a dict only to serialise it again cost more CPU than the rest of the
# relay's work per event (the snapshot of a submission is several KB). PostgreSQL's jsonb text form is
# valid JSON (keys in jsonb's order, a space after ':' and ','), which is all the consumers need.
_CLAIM_BATCH = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.topic,
        _OUTBOX.c.key,
        _OUTBOX.c.event_type,
        _OUTBOX.c.headers,
        cast(_OUTBOX.c.payload, Text).label("payload"),
    )
    .where(_OUTBOX.c.published_at.is_(None))
    .order_by(_OUTBOX.c.created_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_PUBLISHED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(published_at=bindparam("now"), attempts=_OUTBOX.c.attempts + 1)
)
_RECORD_FAILURE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(attempts=_OUTBOX.c.attempts + 1, last_error=bindparam("error"))
)
