"""Kafka producer settings shared by the outbox relay and the dead-letter sender."""

from __future__ import annotations

from typing import Any

from kafka import KafkaProducer


def make_producer(bootstrap_servers: str, client_id: str, **options: Any) -> KafkaProducer:
    """`options`: connection options (`KafkaSettings.client_options()`: security protocol, SASL, CA)."""
    # acks=all + idempotence: a broker-acknowledged send is durable and retries never duplicate
    # within a producer session; duplicates across relay restarts are removed by consumers.
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        retries=2147483647,
        delivery_timeout_ms=120_000,
        **options,
    )
