"""W3C trace-context propagation through Kafka headers and event envelopes.

kafka-python's instrumentation only wraps `KafkaConsumer.__next__` (not `poll`) and ends its
span before processing, so RSC propagates by hand: inject on send, extract in the poll loop.
"""

from __future__ import annotations

from opentelemetry import context, propagate, trace


def current_trace_carrier() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from_carrier(carrier: dict[str, str]) -> context.Context:
    return propagate.extract(carrier)


def kafka_headers_from_carrier(carrier: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(key, value.encode()) for key, value in carrier.items()]


def carrier_from_kafka_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    return {key: value.decode(errors="replace") for key, value in headers or [] if value is not None}


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
