"""The outbox, the relay and the consumer helper over the real Kafka broker and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import Session, col, select

from rsc_common.events import EventEnvelope, OutboxEvent, OutboxRelay, ProcessedEvent, TransientError, add_event
from rsc_common.events.producer import make_producer
from rsc_common.events.topics import dead_letter_topic
from tests.common.integration.events_support import (
    messaging_database,
    ping_type,
    received_rows,
    record_received,
    running_consumer,
    wait_until,
)
from tests.support.kafka import fresh_topic, read_all
from tests.support.servers import KAFKA_BOOTSTRAP

ROOT = Path(__file__).resolve().parents[3]


def stage(engine, ping, count: int) -> None:
    with Session(engine) as session:
        for seq in range(count):
            add_event(session, ping(seq=seq), subject=f"agg-{seq % 4}", source="test")
        session.commit()


def unpublished(engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxEvent).where(col(OutboxEvent.published_at).is_(None))).all())


def test_event_is_committed_with_the_business_change_or_not_at_all() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    with messaging_database() as engine:
        with Session(engine) as session:
            add_event(session, ping(seq=1), subject="a", source="test")
            session.rollback()  # the business change failed: no event either
        assert unpublished(engine) == 0
        stage(engine, ping, 1)
        assert unpublished(engine) == 1


def test_outbox_event_reaches_consumer_exactly_once() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    with messaging_database() as engine:
        stage(engine, ping, 20)
        relay = OutboxRelay(engine, make_producer(KAFKA_BOOTSTRAP, "test-relay"))
        assert relay.publish_batch() == 20
        assert unpublished(engine) == 0
        with running_consumer(engine, topic, {ping.event_type: record_received}):
            assert wait_until(lambda: len(received_rows(engine)) >= 20)
        rows = received_rows(engine)
        assert [seq for _, seq, _ in rows] == list(range(20))
        assert len({event_id for event_id, _, _ in rows}) == 20


def test_relay_killed_between_publish_and_mark_sent_loses_nothing_and_duplicates_nothing() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    with messaging_database() as engine:
        stage(engine, ping, 10)
        # A relay process that dies (SIGKILL) after the broker acknowledged the batch and
        # before the rows were marked published.
        script = textwrap.dedent(
            f"""
            import os, signal
            from sqlmodel import create_engine
            from rsc_common.events import OutboxRelay
            from rsc_common.events.producer import make_producer
            relay = OutboxRelay(create_engine({str(engine.url.render_as_string(hide_password=False))!r}),
                                make_producer({KAFKA_BOOTSTRAP!r}, "crashing-relay"),
                                on_published=lambda rows: os.kill(os.getpid(), signal.SIGKILL))
            relay.publish_batch()
            """
        )
        proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=os.environ.copy(), timeout=120)
        assert proc.returncode == -9
        assert unpublished(engine) == 10  # not marked: the relay died before its commit
        assert len(read_all(topic, 10)) == 10  # ...but the broker has them

        # The restarted relay publishes the same rows again: the broker now has duplicates.
        assert OutboxRelay(engine, make_producer(KAFKA_BOOTSTRAP, "relay-2")).publish_batch() == 10
        assert unpublished(engine) == 0
        assert len(read_all(topic, 20)) == 20

        with running_consumer(engine, topic, {ping.event_type: record_received}) as consumer:
            assert wait_until(lambda: len(received_rows(engine)) >= 10)
            with Session(engine) as session:
                group = consumer.config.group_id
                assert wait_until(
                    lambda: (
                        len(session.exec(select(ProcessedEvent).where(ProcessedEvent.consumer_group == group)).all())
                        == 10
                    )
                )
            wait_until(lambda: False, timeout=2)  # let the duplicates arrive and be skipped
        rows = received_rows(engine)
        assert sorted(seq for _, seq, _ in rows) == list(range(10))  # each handled exactly once


def test_poison_messages_go_to_the_dead_letter_topic_and_the_partition_moves_on() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    with messaging_database() as engine:
        producer = make_producer(KAFKA_BOOTSTRAP, "test-raw")
        # 1) not an envelope at all; 2) an envelope whose payload does not match its type;
        # 3) a valid event whose handler always fails; 4) a good event after them, same key.
        producer.send(topic, key=b"k", value=b"\x00not json")
        bad_payload = EventEnvelope(type=ping.event_type, schema_version=1, source="t", subject="k", data={"seq": "x"})
        producer.send(topic, key=b"k", value=bad_payload.to_bytes())
        doomed = EventEnvelope(type=ping.event_type, schema_version=1, source="t", subject="k", data={"seq": 13})
        producer.send(topic, key=b"k", value=doomed.to_bytes())
        good = EventEnvelope(type=ping.event_type, schema_version=1, source="t", subject="k", data={"seq": 1})
        producer.send(topic, key=b"k", value=good.to_bytes())
        producer.flush()

        def handler(session, envelope, data):
            if data.seq == 13:
                raise ValueError("cannot handle thirteen")
            record_received(session, envelope, data)

        with running_consumer(engine, topic, {ping.event_type: handler}):
            assert wait_until(lambda: len(received_rows(engine)) == 1)
        dead = read_all(dead_letter_topic(topic), 3)
        assert len(dead) == 3
        errors = [dict(r.headers)["dlt.error"].decode() for r in dead]
        assert errors[0].startswith("undecodable envelope")
        assert "does not match" in errors[1]
        assert "cannot handle thirteen" in errors[2]
        assert dict(dead[2].headers)["dlt.attempts"] == b"3"
        assert dead[2].value == doomed.to_bytes()  # the original message, untouched, for replay
        assert [seq for _, seq, _ in received_rows(engine)] == [1]


def test_transient_failures_are_retried_not_dead_lettered() -> None:
    topic = fresh_topic()
    ping = ping_type(topic)
    failures = {"left": 4}  # more than max_attempts: transient errors do not count towards it
    with messaging_database() as engine:
        stage(engine, ping, 1)
        OutboxRelay(engine, make_producer(KAFKA_BOOTSTRAP, "relay")).publish_batch()

        def flaky(session, envelope, data):
            if failures["left"] > 0:
                failures["left"] -= 1
                raise TransientError("database of a dependency unavailable")
            record_received(session, envelope, data)

        with running_consumer(engine, topic, {ping.event_type: flaky}):
            assert wait_until(lambda: len(received_rows(engine)) == 1)
        assert failures["left"] == 0
        assert read_all(dead_letter_topic(topic), 1, timeout_ms=3000) == []
