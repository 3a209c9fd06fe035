from rsc_common.telemetry.logging import configure_logging
from rsc_common.telemetry.propagation import (
    carrier_from_kafka_headers,
    context_from_carrier,
    current_trace_carrier,
    current_trace_id,
    kafka_headers_from_carrier,
)
from rsc_common.telemetry.tracing import configure_tracing, tracer

__all__ = [
    "carrier_from_kafka_headers",
    "configure_logging",
    "configure_tracing",
    "context_from_carrier",
    "current_trace_carrier",
    "current_trace_id",
    "kafka_headers_from_carrier",
    "tracer",
]
