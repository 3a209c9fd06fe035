"""Unique Kafka topics per test, created through the project's own topic helper."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer, TopicPartition

from rsc_common.events.topics import dead_letter_topic, ensure_topics
from tests.support.servers import KAFKA_BOOTSTRAP


def fresh_topic(prefix: str = "test") -> str:
    topic = f"{prefix}.{uuid.uuid4().hex[:10]}"
    ensure_topics(KAFKA_BOOTSTRAP, [topic, dead_letter_topic(topic)], partitions=3)
    return topic


def _from_the_start(consumer: KafkaConsumer, topic: str, deadline: float) -> list[TopicPartition]:
    """Assign every partition of the topic (waiting for its metadata) and seek to the beginning.

    Partitions are assigned directly (no consumer group): no rebalance to wait for, and nothing
    committed that could hide records from a later read.
    """
    partitions = None
    while not partitions and time.monotonic() < deadline:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            time.sleep(0.2)
    if not partitions:
        return []
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    return assigned


def read_all(topic: str, expected: int, timeout_ms: int = 20_000) -> list:
    """Read a topic from the beginning until `expected` records arrived (or the timeout)."""
    consumer = KafkaConsumer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_auto_commit=False, group_id=None)
    records: list = []
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        if not _from_the_start(consumer, topic, deadline):
            return records
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records


def read_to_end(topic: str, timeout_ms: int = 10_000) -> list:
    """Read every record the topic holds now (up to the end offsets taken when the read starts).

    For tests that filter a topic by event type or subject: a count of records to wait for is no bound
    there, since other events on the topic (and their partition order) decide which records come first.
    """
    consumer = KafkaConsumer(bootstrap_servers=KAFKA_BOOTSTRAP, enable_auto_commit=False, group_id=None)
    records: list = []
    try:
        deadline = time.monotonic() + timeout_ms / 1000
        assigned = _from_the_start(consumer, topic, deadline)
        if not assigned:
            return records
        end = consumer.end_offsets(assigned)
        while any(consumer.position(tp) < end[tp] for tp in assigned) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records
