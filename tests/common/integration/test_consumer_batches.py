"""Batch handlers on the real broker: runs of consecutive records, order kept around single handlers,
a poison record in a run dead-lettered alone."""

from __future__ import annotations

from rsc_common.events import EventEnvelope
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
