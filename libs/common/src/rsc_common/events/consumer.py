"""Kafka consumer helper: each event is handled effectively once per consumer group.

For every record: decode the envelope and validate its payload against the catalogue; then, in
ONE database transaction, insert (group, event id) into `processed_event` and run the handler. A
redelivered event finds its row and is skipped. Offsets are committed only after the batch's
transactions committed, so a crash re-delivers instead of losing.

Failures: transient ones (database or network unavailable) are retried with capped exponential
backoff for as long as it takes: the partition waits, nothing is lost. Anything else (a payload
that does not validate, a handler bug) is retried `max_attempts` times and then sent, with the
error, to the topic's dead-letter twin, so one poison message cannot block the partition.

Broker outages: a retriable Kafka error from poll or commit (broker gone, coordinator moving) is
waited out in the loop with the same backoff, and the client reconnects by itself. A failed commit
only means the batch comes again, and the processed-event ledger skips it. Anything else ends the
thread, which ends the worker so that its supervisor restarts it.
"""

from __future__ import annotations

import logging
import random
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from rsc_common.events.catalog import parse_data
from rsc_common.events.envelope import EventData, EventEnvelope
from rsc_common.events.models import ProcessedEvent
from rsc_common.events.topics import dead_letter_topic
from rsc_common.telemetry import carrier_from_kafka_headers, context_from_carrier

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("rsc.consumer")

Handler = Callable[[Session, EventEnvelope, EventData], None]


class TransientError(Exception):
    """Raise from a handler for a failure that will pass by itself (a dependency is down)."""


def is_broker_outage(exc: BaseException) -> bool:
    """A Kafka error the client recovers from once the brokers answer again."""
    return isinstance(exc, CommitFailedError) or (isinstance(exc, KafkaError) and bool(exc.retriable))


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientError | OperationalError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@dataclass
class ConsumerConfig:
    group_id: str
    topics: list[str]
    bootstrap_servers: str
    max_attempts: int = 3
    backoff_initial: float = 0.2
    backoff_max: float = 30.0
    poll_timeout_ms: int = 500
    max_poll_records: int = 100
    client_id: str = "rsc-consumer"
    extra: dict = field(default_factory=dict)


class EventConsumer:
    def __init__(
        self, config: ConsumerConfig, engine: Engine, handlers: dict[str, Handler], dlt_producer: KafkaProducer
    ) -> None:
        self.config = config
        self.engine = engine
        self.handlers = handlers
        self.dlt_producer = dlt_producer
        self._consumer: KafkaConsumer | None = None

    def _make_consumer(self) -> KafkaConsumer:
        return KafkaConsumer(
            *self.config.topics,
            bootstrap_servers=self.config.bootstrap_servers,
            group_id=self.config.group_id,
            client_id=self.config.client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.config.max_poll_records,
            **self.config.extra,
        )

    def run(self, stop: threading.Event) -> None:
        self._consumer = consumer = self._make_consumer()
        log.info("consumer %s subscribed to %s", self.config.group_id, self.config.topics)
        delay = self.config.backoff_initial
        try:
            while not stop.is_set():
                try:
                    batches = consumer.poll(timeout_ms=self.config.poll_timeout_ms)
                    if batches:
                        for records in batches.values():
                            for record in records:
                                if not self.process(record, stop):
                                    return  # stopping mid-retry: uncommitted records are redelivered
                        consumer.commit()
                    delay = self.config.backoff_initial
                except KafkaError as exc:
                    if not is_broker_outage(exc):
                        raise
                    log.warning("consumer %s: Kafka unavailable (%s); retrying", self.config.group_id, exc)
                    if stop.wait(delay * random.uniform(0.5, 1.0)):
                        return
                    delay = min(delay * 2, self.config.backoff_max)
        finally:
            consumer.close(autocommit=False)
            log.info("consumer %s stopped", self.config.group_id)

    def process(self, record: ConsumerRecord, stop: threading.Event) -> bool:
        """Handle one record completely (handled, skipped or dead-lettered). False only on stop."""
        carrier = carrier_from_kafka_headers(record.headers)
        with _tracer.start_as_current_span(
            f"{record.topic} process", context=context_from_carrier(carrier), kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.consumer.group.name", self.config.group_id)
            try:
                envelope = EventEnvelope.from_bytes(record.value)
            except Exception as exc:
                self._dead_letter(record, f"undecodable envelope: {exc}", attempts=1)
                return True
            span.set_attribute("messaging.message.id", str(envelope.id))
            handler = self.handlers.get(envelope.type)
            if handler is None:
                return True  # another consumer's business
            try:
                data = parse_data(envelope)
            except Exception as exc:
                self._dead_letter(
                    record, f"payload does not match {envelope.type} v{envelope.schema_version}: {exc}", 1
                )
                return True
            return self._handle_with_retries(record, envelope, data, handler, stop, span)

    def _handle_with_retries(self, record, envelope, data, handler, stop, span) -> bool:
        attempts = 0
        delay = self.config.backoff_initial
        while True:
            try:
                self._handle_once(envelope, data, handler)
                return True
            except Exception as exc:
                transient = is_transient(exc)
                if not transient:
                    attempts += 1
                log.warning(
                    "handling %s %s failed (attempt %s, transient=%s): %s",
                    envelope.type,
                    envelope.id,
                    attempts,
                    transient,
                    exc,
                )
                if not transient and attempts >= self.config.max_attempts:
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    self._dead_letter(record, error, attempts)
                    return True
            # jittered exponential backoff; wakes early when asked to stop
            if stop.wait(delay * random.uniform(0.5, 1.0)):
                return False
            delay = min(delay * 2, self.config.backoff_max)

    def _handle_once(self, envelope: EventEnvelope, data: EventData, handler: Handler) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            inserted = session.execute(
                insert(ProcessedEvent)
                .values(consumer_group=self.config.group_id, event_id=envelope.id, event_type=envelope.type)
                .on_conflict_do_nothing()
                .returning(ProcessedEvent.event_id)
            ).first()
            if inserted is None:
                log.info("skipping %s %s: already processed", envelope.type, envelope.id)
                return
            handler(session, envelope, data)
            session.commit()

    def _dead_letter(self, record: ConsumerRecord, error: str, attempts: int) -> None:
        topic = dead_letter_topic(record.topic)
        log.error("dead-lettering %s[%s]@%s to %s: %s", record.topic, record.partition, record.offset, topic, error)
        headers = [
            *(record.headers or []),
            ("dlt.error", error[:4000].encode()),
            ("dlt.source.topic", record.topic.encode()),
            ("dlt.source.partition", str(record.partition).encode()),
            ("dlt.source.offset", str(record.offset).encode()),
            ("dlt.consumer.group", self.config.group_id.encode()),
            ("dlt.attempts", str(attempts).encode()),
        ]
        # Block until the broker has it: the offset is committed right after.
        self.dlt_producer.send(topic, key=record.key, value=record.value, headers=headers).get(timeout=60)
