"""Registry of event types: the one place producers and consumers agree on payloads.

Each service declares its event payloads as `EventData` subclasses decorated with `@register`
in `rsc_common.events.types`; the JSON Schemas in `docs/events/` are generated from this
registry (`python -m rsc_common.events.schemas`) and a test keeps them in sync.
"""

from __future__ import annotations

from typing import TypeVar

from rsc_common.events.envelope import EventData, EventEnvelope

T = TypeVar("T", bound=type[EventData])


class UnknownEventTypeError(KeyError):
    pass


_REGISTRY: dict[tuple[str, int], type[EventData]] = {}


def register(model: T) -> T:
    key = (model.event_type, model.schema_version)
    if key in _REGISTRY and _REGISTRY[key] is not model:
        raise ValueError(f"event type {key} registered twice")
    _REGISTRY[key] = model
    return model


def model_for(event_type: str, schema_version: int) -> type[EventData]:
    try:
        return _REGISTRY[(event_type, schema_version)]
    except KeyError as exc:
        raise UnknownEventTypeError(f"{event_type} v{schema_version}") from exc


def registered() -> dict[tuple[str, int], type[EventData]]:
    return dict(sorted(_REGISTRY.items()))


def parse_data(envelope: EventEnvelope) -> EventData:
    """Validate an envelope's payload against its registered model (raises on drift)."""
    return model_for(envelope.type, envelope.schema_version).model_validate(envelope.data)
