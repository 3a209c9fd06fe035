"""Envelope, catalogue and generated schemas (no servers)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from rsc_common.events import EventEnvelope, parse_data, registered
from rsc_common.events.catalog import UnknownEventTypeError
from rsc_common.events.schemas import DEFAULT_DIR, render
from rsc_common.events.types import CallOpened


def call_opened() -> CallOpened:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    return CallOpened(
        call_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        programme_name="P",
        identifier="C-1",
        title="T",
        opens_at=now,
        closes_at=now,
    )


def test_envelope_round_trips_through_bytes() -> None:
    data = call_opened()
    env = EventEnvelope(
        type=data.event_type, schema_version=1, source="s", subject="x", data=data.model_dump(mode="json")
    )
    again = EventEnvelope.from_bytes(env.to_bytes())
    assert again == env
    assert parse_data(again) == data


def test_envelope_requires_timezone_aware_time_and_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError):
        EventEnvelope(type="a.b", schema_version=1, source="s", subject="x", data={}, time=datetime(2027, 1, 1))
    with pytest.raises(ValidationError):
        EventEnvelope.model_validate(
            {"type": "a.b", "schema_version": 1, "source": "s", "subject": "x", "data": {}, "extra": 1}
        )


def test_payload_drift_is_detected() -> None:
    env = EventEnvelope(type="call.opened", schema_version=1, source="s", subject="x", data={"call_id": "nope"})
    with pytest.raises(ValidationError):
        parse_data(env)
    with pytest.raises(UnknownEventTypeError):
        parse_data(EventEnvelope(type="call.opened", schema_version=99, source="s", subject="x", data={}))


def test_checked_in_json_schemas_match_the_models() -> None:
    present = {p.name: p.read_text() for p in DEFAULT_DIR.glob("*.schema.json")}
    assert present == render(), "docs/events/ is stale: run `make schemas`"


def test_every_registered_event_type_has_a_row_in_the_catalogue() -> None:
    catalogue = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    shipped = [t for (t, _v), model in registered().items() if model.__module__ == "rsc_common.events.types"]
    missing = [t for t in shipped if f"| `{t}` |" not in catalogue]  # (tests register test.* types too)
    assert len(shipped) >= 30
    assert missing == [], f"add these to docs/events.md: {missing}"
