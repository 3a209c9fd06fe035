from rsc_common.events import types as _types  # noqa: F401  (registers the payloads)
from rsc_common.events.catalog import parse_data, register, registered
from rsc_common.events.consumer import (
    BatchHandler,
    ConsumerConfig,
    EventConsumer,
    Handler,
    TransientError,
    database_only,
)
from rsc_common.events.envelope import EventData, EventEnvelope
from rsc_common.events.models import OutboxEvent, ProcessedEvent
from rsc_common.events.outbox import add_event
from rsc_common.events.producer import make_producer
from rsc_common.events.relay import OutboxRelay

__all__ = [
    "BatchHandler",
    "ConsumerConfig",
    "EventConsumer",
    "EventData",
    "EventEnvelope",
    "Handler",
    "OutboxEvent",
    "OutboxRelay",
    "ProcessedEvent",
    "TransientError",
    "add_event",
    "database_only",
    "make_producer",
    "parse_data",
    "register",
    "registered",
]
