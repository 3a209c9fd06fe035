"""Batch handlers and `database_only` groups on the real broker: runs of consecutive records, order kept
around single handlers, a poison record in a run or group dead-lettered alone, one transaction per group."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import text

from rsc_common.events import ConsumerConfig, EventConsumer, EventEnvelope, database_only
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
from tests.support.kafka import fresh_topic, read_to_end
from tests.support.servers import KAFKA_BOOTSTRAP


def send(topic: str, *envelopes: EventEnvelope) -> None:
    producer = make_producer(KAFKA_BOOTSTRAP, "test-raw")
    for envelope in envelopes:
        producer.send(topic, key=b"same-subject", value=envelope.to_bytes())  # one partition: one order
    producer.flush()
    producer.close()


def ping(event_type: str, seq: int) -> EventEnvelope:
    return EventEnvelope(type=event_type, schema_version=1, source="t", subject="s", data={"seq": seq})


def test_runs_are_handled_together_and_a_single_handler_closes_a_run() -> None:
    topic = fresh_topic()
    batched, single = ping_type(topic), ping_type(topic)
    runs: list[list[int]] = []
    order: list[int] = []
    with messaging_database() as engine:
        send(
            topic,
            *(ping(batched.event_type, n) for n in (1, 2, 3)),
            ping(single.event_type, 4),
            *(ping(batched.event_type, n) for n in (5, 6)),
        )

        def handle_run(session, events) -> None:
            runs.append([data.seq for _envelope, data in events])
            order.extend(data.seq for _envelope, data in events)
            for envelope, data in events:
                record_received(session, envelope, data)

        def handle_one(session, envelope, data) -> None:
            order.append(data.seq)
            record_received(session, envelope, data)

        with running_consumer(
            engine, topic, {single.event_type: handle_one}, batch_handlers={batched.event_type: handle_run}
        ):
            assert wait_until(lambda: len(received_rows(engine)) == 6)
    assert order == [1, 2, 3, 4, 5, 6]
    # 1-3 arrive in one poll unless the broker splits them; 4 always closes the run before 5
    assert all(set(run) <= {1, 2, 3} or set(run) <= {5, 6} for run in runs)
    assert sorted(n for run in runs for n in run) == [1, 2, 3, 5, 6]


def test_a_poison_record_in_a_run_is_dead_lettered_alone() -> None:
    topic = fresh_topic()
    batched = ping_type(topic)
    with messaging_database() as engine:
        send(topic, *(ping(batched.event_type, n) for n in (1, 13, 2)))

        def handle_run(session, events) -> None:
            if any(data.seq == 13 for _envelope, data in events):
                raise ValueError("cannot handle thirteen")
            for envelope, data in events:
                record_received(session, envelope, data)

        with running_consumer(engine, topic, {}, batch_handlers={batched.event_type: handle_run}):
            assert wait_until(lambda: len(received_rows(engine)) == 2)
        dead = read_to_end(dead_letter_topic(topic))  # everything: exactly one must be there
        assert [seq for _, seq, _ in received_rows(engine)] == [1, 2]
    assert len(dead) == 1
    assert EventEnvelope.from_bytes(dead[0].value).data["seq"] == 13
    assert "cannot handle thirteen" in dict(dead[0].headers)["dlt.error"].decode()


def consumer_for(engine, topic: str, handlers: dict) -> EventConsumer:
    """A consumer that is not polling: the test hands it the partition's records as one poll would."""
    config = ConsumerConfig(
        group_id=f"group-{uuid.uuid4().hex[:8]}",
        topics=[topic],
        bootstrap_servers=KAFKA_BOOTSTRAP,
        backoff_initial=0.05,
        backoff_max=0.5,
    )
    return EventConsumer(config, engine, handlers, make_producer(KAFKA_BOOTSTRAP, "test-dlt"))


def test_database_only_records_share_a_transaction_and_keep_their_order_around_other_handlers() -> None:
    topic = fresh_topic()
    grouped, single = ping_type(topic), ping_type(topic)
    transactions: dict[int, int] = {}
    order: list[int] = []

    def handle(session, envelope, data) -> None:
        transactions[data.seq] = session.execute(text("select txid_current()")).scalar_one()
        order.append(data.seq)
        record_received(session, envelope, data)

    with messaging_database() as engine:
        send(
            topic,
            *(ping(grouped.event_type, n) for n in (1, 2, 3)),
            ping(single.event_type, 4),
            *(ping(grouped.event_type, n) for n in (5, 6)),
        )
        records = read_to_end(topic)
        handlers = {grouped.event_type: database_only(lambda *a: handle(*a)), single.event_type: handle}
        consumer = consumer_for(engine, topic, handlers)
        assert consumer.process_records(records, threading.Event())
        with engine.connect() as conn:
            ledger = conn.execute(text("select count(*) from processed_event")).scalar_one()
        assert len(received_rows(engine)) == 6
        # handed again (a redelivery after a lost commit): the ledger skips every one of them
        assert consumer.process_records(records, threading.Event())
        assert len(received_rows(engine)) == 6
    assert order == [1, 2, 3, 4, 5, 6]
    assert ledger == 6
    assert transactions[1] == transactions[2] == transactions[3]
    assert transactions[5] == transactions[6]
    assert len({transactions[1], transactions[4], transactions[5]}) == 3


def test_a_poison_record_in_a_group_rolls_the_group_back_and_is_dead_lettered_alone() -> None:
    topic = fresh_topic()
    grouped = ping_type(topic)
    calls: list[int] = []

    @database_only
    def handle(session, envelope, data) -> None:
        calls.append(data.seq)
        record_received(session, envelope, data)  # written before failing: must not survive
        if data.seq == 13:
            raise ValueError("cannot handle thirteen")

    with messaging_database() as engine:
        send(topic, *(ping(grouped.event_type, n) for n in (1, 13, 2)))
        consumer = consumer_for(engine, topic, {grouped.event_type: handle})
        assert consumer.process_records(read_to_end(topic), threading.Event())
        dead = read_to_end(dead_letter_topic(topic))
        assert [seq for _, seq, _ in received_rows(engine)] == [1, 2]
        with engine.connect() as conn:
            ledger = conn.execute(text("select count(*) from processed_event")).scalar_one()
    assert ledger == 2
    assert len(dead) == 1
    assert EventEnvelope.from_bytes(dead[0].value).data["seq"] == 13
    # together once (rolled back at 13), then one by one: 13 tried max_attempts (3) times
    assert calls == [1, 13, 1, 13, 13, 13, 2]
