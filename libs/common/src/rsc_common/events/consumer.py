"""Kafka consumer helper: each event is handled effectively once per consumer group.

For every record: decode the envelope and validate its payload against the catalogue; then, in
ONE database transaction, insert (group, event id) into `processed_event` and run the handler. A
redelivered event finds its row and is skipped. Consecutive records whose handlers are marked
`database_only` share that transaction (one commit per group; one by one again if the group fails).
Offsets are committed only after the batch's transactions committed, so a crash re-delivers instead of
losing.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError, KafkaError
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from sqlalchemy import Engine, bindparam
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from rsc_common.db.upsert import insert
from rsc_common.events.catalog import parse_data
from rsc_common.events.envelope import EVENT_TYPE_HEADER, EventData, EventEnvelope
from rsc_common.events.models import ProcessedEvent
from rsc_common.events.topics import dead_letter_topic
from rsc_common.telemetry import carrier_from_kafka_headers, context_from_carrier

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("rsc.consumer")

# Built once: constructing a statement costs about as much as running it (every event of every consumer
# runs this one); the compiled form is cached.
_LEDGER = ProcessedEvent.__table__
_LEDGER_INSERT = (
    insert(_LEDGER)
    .values(consumer_group=bindparam("group"), event_id=bindparam("event_id"), event_type=bindparam("event_type"))
    .on_conflict_do_nothing()
    .returning(_LEDGER.c.event_id)
)

Handler = Callable[[Session, EventEnvelope, EventData], None]
# Handles a run of consecutive records of one partition at once (e.g. to start their workflows
# concurrently). Must be idempotent by itself: its records are not entered in the processed-event
# ledger, so after a crash the whole run comes again.
BatchHandler = Callable[[Session, list[tuple[EventEnvelope, EventData]]], None]


def database_only(handler: Handler) -> Handler:
    """Mark a handler whose only effects are writes through the session it is given (no workflow start or
    signal, no commit of its own). Consecutive records with such handlers share one transaction: one
    commit for the group instead of one per event, each event still entered in the processed-event
    ledger. Should the group fail, it is rolled back and its records are handled one by one as usual, which
    is only safe when the handlers did nothing outside the transaction."""
    handler.database_only = True  # type: ignore[attr-defined]
    return handler


def is_database_only(handler: Handler | None) -> bool:
    return getattr(handler, "database_only", False)


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
        self,
        config: ConsumerConfig,
        engine: Engine,
        handlers: dict[str, Handler],
        dlt_producer: KafkaProducer,
        batch_handlers: dict[str, BatchHandler] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.handlers = handlers
        self.batch_handlers = batch_handlers or {}
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
                            if not self.process_records(records, stop):
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

    def process_records(self, records: list[ConsumerRecord], stop: threading.Event) -> bool:
        """Handle one partition's records in order. False only on stop.

        Consecutive records whose event type has a batch handler are handed to it together, and
        consecutive records with `database_only` handlers are handled in one transaction; any other
        record first closes the run or group, so per-subject order holds across every kind of handler.
        """
        run: list[tuple[ConsumerRecord, EventEnvelope, EventData]] = []
        run_handler: BatchHandler | None = None
        group: list[tuple[ConsumerRecord, EventEnvelope, EventData]] = []
        for record in records:
            decoded = self._decode(record)
            if decoded is None:
                continue
            envelope, data = decoded
            batch_handler = self.batch_handlers.get(envelope.type)
            groupable = batch_handler is None and is_database_only(self.handlers.get(envelope.type))
            if run and batch_handler is not run_handler:
                if not self._handle_run(run_handler, run, stop):
                    return False
                run = []
            if group and not groupable:
                if not self._handle_group(group, stop):
                    return False
                group = []
            if batch_handler is not None:
                run_handler = batch_handler
                run.append((record, envelope, data))
            elif groupable:
                group.append((record, envelope, data))
            elif not self._handle_single(record, envelope, data, stop):
                return False
        if group:
            return self._handle_group(group, stop)
        return not run or self._handle_run(run_handler, run, stop)

    def _decode(self, record: ConsumerRecord) -> tuple[EventEnvelope, EventData] | None:
        """The envelope and its validated payload; None when dead-lettered or not this group's business."""
        if (header_type := _event_type_header(record)) is not None and not self._wants(header_type):
            # the relay names the type in a header: most records of a shared topic are another group's
            # business, and are skipped without parsing their envelope
            return None
        try:
            envelope = EventEnvelope.from_bytes(record.value)
        except Exception as exc:
            self._dead_letter(record, f"undecodable envelope: {exc}", attempts=1)
            return None
        if not self._wants(envelope.type):
            return None  # another consumer's business
        try:
            return envelope, parse_data(envelope)
        except Exception as exc:
            self._dead_letter(record, f"payload does not match {envelope.type} v{envelope.schema_version}: {exc}", 1)
            return None

    def _wants(self, event_type: str) -> bool:
        return event_type in self.handlers or event_type in self.batch_handlers

    @contextmanager
    def _record_span(self, record: ConsumerRecord, envelope: EventEnvelope) -> Iterator[None]:
        carrier = carrier_from_kafka_headers(record.headers)
        with _tracer.start_as_current_span(
            f"{record.topic} process", context=context_from_carrier(carrier), kind=SpanKind.CONSUMER
        ) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.consumer.group.name", self.config.group_id)
            span.set_attribute("messaging.message.id", str(envelope.id))
            yield

    def _handle_single(
        self, record: ConsumerRecord, envelope: EventEnvelope, data: EventData, stop: threading.Event
    ) -> bool:
        with self._record_span(record, envelope):
            handler = self.handlers[envelope.type]
            return self._with_retries(
                lambda: self._handle_once(envelope, data, handler), f"{envelope.type} {envelope.id}", [record], stop
            )

    def _handle_group(
        self, group: list[tuple[ConsumerRecord, EventEnvelope, EventData]], stop: threading.Event
    ) -> bool:
        """One transaction for records with `database_only` handlers; one by one if it fails."""
        if len(group) == 1:
            return self._handle_single(*group[0], stop)
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                for record, envelope, data in group:
                    with self._record_span(record, envelope):
                        self._ledger_then_handle(session, envelope, data, self.handlers[envelope.type])
                session.commit()
            return True
        except Exception as exc:
            log.info("a group of %d records failed (%s); handling them one by one", len(group), exc)
            return all(self._handle_single(record, envelope, data, stop) for record, envelope, data in group)

    def _handle_run(
        self,
        handler: BatchHandler | None,
        run: list[tuple[ConsumerRecord, EventEnvelope, EventData]],
        stop: threading.Event,
    ) -> bool:
        """A batch handler is idempotent by contract (no processed-event ledger): its records come again
        after a crash, and after the retries a failing run is split so that only the poison record is
        dead-lettered."""
        assert handler is not None
        links = []
        for record, _envelope, _data in run:
            span_context = trace.get_current_span(context_from_carrier(carrier_from_kafka_headers(record.headers)))
            if span_context.get_span_context().is_valid:
                links.append(Link(span_context.get_span_context()))
        topic = run[0][0].topic
        with _tracer.start_as_current_span(f"{topic} process batch", links=links, kind=SpanKind.CONSUMER) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.consumer.group.name", self.config.group_id)
            span.set_attribute("messaging.batch.message_count", len(run))

            def attempt() -> None:
                with Session(self.engine, expire_on_commit=False) as session:
                    handler(session, [(envelope, data) for _record, envelope, data in run])
                    session.commit()

            first = run[0][1]
            describe = f"{first.type} {first.id}" + (f" and {len(run) - 1} more" if len(run) > 1 else "")
            if len(run) == 1:
                return self._with_retries(attempt, describe, [run[0][0]], stop)
            outcome = self._with_retries(attempt, describe, None, stop)
            if outcome is None:  # gave up on the whole run: find the poison record one by one
                return all(self._handle_run(handler, [item], stop) for item in run)
            return outcome

    def _with_retries(
        self, attempt: Callable[[], None], describe: str, dead_letter: list[ConsumerRecord] | None, stop
    ) -> bool | None:
        """Run `attempt` until it succeeds: transient failures for as long as it takes, others
        `max_attempts` times, then the records go to the dead-letter topic (None when `dead_letter`
        is None: the caller decides). False when asked to stop meanwhile."""
        attempts = 0
        delay = self.config.backoff_initial
        while True:
            try:
                attempt()
                return True
            except Exception as exc:
                transient = is_transient(exc)
                if not transient:
                    attempts += 1
                log.warning("handling %s failed (attempt %s, transient=%s): %s", describe, attempts, transient, exc)
                if not transient and attempts >= self.config.max_attempts:
                    trace.get_current_span().set_status(Status(StatusCode.ERROR, str(exc)))
                    if dead_letter is None:
                        return None
                    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                    for record in dead_letter:
                        self._dead_letter(record, error, attempts)
                    return True
            # jittered exponential backoff; wakes early when asked to stop
            if stop.wait(delay * random.uniform(0.5, 1.0)):
                return False
            delay = min(delay * 2, self.config.backoff_max)

    def _handle_once(self, envelope: EventEnvelope, data: EventData, handler: Handler) -> None:
        with Session(self.engine, expire_on_commit=False) as session:
            if self._ledger_then_handle(session, envelope, data, handler):
                session.commit()

    def _ledger_then_handle(self, session: Session, envelope: EventEnvelope, data: EventData, handler: Handler) -> bool:
        """Enter the event in the processed-event ledger and run its handler; False when already processed."""
        inserted = session.execute(
            _LEDGER_INSERT, {"group": self.config.group_id, "event_id": envelope.id, "event_type": envelope.type}
        ).first()
        if inserted is None:
            log.info("skipping %s %s: already processed", envelope.type, envelope.id)
            return False
        handler(session, envelope, data)
        return True

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


def _event_type_header(record: ConsumerRecord) -> str | None:
    """The type header the outbox relay sets (None for a record without it)."""
    for key, value in record.headers or ():
        if key == EVENT_TYPE_HEADER and value is not None:
            return value.decode(errors="replace")
    return None
