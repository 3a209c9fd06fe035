"""Per-test event types and a database with the messaging tables, for the library's own tests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, create_engine

from rsc_common.events import EventData, EventEnvelope, OutboxEvent, ProcessedEvent, register
from rsc_common.events.consumer import ConsumerConfig, EventConsumer
from rsc_common.events.producer import make_producer
from tests.support.databases import temporary_database
from tests.support.servers import KAFKA_BOOTSTRAP


def ping_type(topic: str) -> type[EventData]:
    """A fresh event type bound to `topic` (types are registered globally, so each test gets its own)."""

    class Ping(EventData):
        seq: int
        note: str = ""

    Ping.event_type = f"test.ping.{uuid.uuid4().hex[:8]}"
    Ping.topic = topic
    return register(Ping)


@contextmanager
def messaging_database() -> Iterator[Engine]:
    with temporary_database() as url:
        engine = create_engine(url)
        SQLModel.metadata.create_all(engine, tables=[OutboxEvent.__table__, ProcessedEvent.__table__])
        with engine.begin() as conn:
            conn.execute(text("create table received (event_id uuid, seq int, trace_id text)"))
        try:
            yield engine
        finally:
            engine.dispose()


def record_received(session: Session, envelope: EventEnvelope, data: EventData, trace_id: str | None = None) -> None:
    session.execute(
        text("insert into received (event_id, seq, trace_id) values (:e, :s, :t)"),
        {"e": envelope.id, "s": data.seq, "t": trace_id},
    )


def received_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return list(conn.execute(text("select event_id, seq, trace_id from received order by seq")))


@contextmanager
def running_consumer(
    engine: Engine, topic: str, handlers: dict, group: str | None = None, batch_handlers: dict | None = None
) -> Iterator[EventConsumer]:
    consumer = EventConsumer(
        ConsumerConfig(
            group_id=group or f"group-{uuid.uuid4().hex[:8]}",
            topics=[topic],
            bootstrap_servers=KAFKA_BOOTSTRAP,
            backoff_initial=0.05,
            backoff_max=0.5,
        ),
        engine,
        handlers,
        make_producer(KAFKA_BOOTSTRAP, "test-dlt"),
        batch_handlers,
    )
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        stop.set()
        thread.join(timeout=30)


def wait_until(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
