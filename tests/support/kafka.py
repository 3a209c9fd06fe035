"""Unique Kafka topics per test, created through the project's own topic helper."""

from __future__ import annotations

import uuid

from kafka import KafkaConsumer

from rsc_common.events.topics import dead_letter_topic, ensure_topics
from tests.support.servers import KAFKA_BOOTSTRAP


def fresh_topic(prefix: str = "test") -> str:
    topic = f"{prefix}.{uuid.uuid4().hex[:10]}"
    ensure_topics(KAFKA_BOOTSTRAP, [topic, dead_letter_topic(topic)], partitions=3)
    return topic


def read_all(topic: str, expected: int, timeout_ms: int = 20_000) -> list:
    """Read a topic from the beginning until `expected` records arrived (or the timeout)."""
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=KAFKA_BOOTSTRAP,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
    )
    records = []
    try:
        for record in consumer:
            records.append(record)
            if len(records) >= expected:
                break
    finally:
        consumer.close()
    return records
