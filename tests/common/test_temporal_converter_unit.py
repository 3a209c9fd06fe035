"""The Temporal data converter: Pydantic JSON with one TypeAdapter cache per process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pydantic
from pydantic import BaseModel

from rsc_common.temporal import RscPayloadConverter, _shared_type_adapter, data_converter


@dataclass
class ScreenResult:
    case_ref: str
    at: datetime
    flags: list[str]


class Envelope(BaseModel):
    id: uuid.UUID
    body: dict[str, int]


def test_values_round_trip() -> None:
    converter = RscPayloadConverter()
    values = [
        ScreenResult("c-1", datetime(2026, 12, 7, 9, tzinfo=UTC), ["partner.listed"]),
        Envelope(id=uuid.uuid4(), body={"a": 1}),
        None,
        b"\x00raw",
        "text",
    ]
    payloads = converter.to_payloads(values)
    back = converter.from_payloads(payloads, [ScreenResult, Envelope, type(None), bytes, str])
    assert back == values
    assert payloads[0].metadata["encoding"] == b"json/plain"


def test_converters_built_per_workflow_share_their_type_adapters(monkeypatch) -> None:
    # The worker builds a payload converter per workflow instance; the adapter for a type is built once.
    built: list[object] = []
    original = pydantic.TypeAdapter.__init__

    def counting(self, type_, *args, **kwargs):
        built.append(type_)
        return original(self, type_, *args, **kwargs)

    monkeypatch.setattr(pydantic.TypeAdapter, "__init__", counting)
    _shared_type_adapter.cache_clear()
    payload = RscPayloadConverter().to_payloads([ScreenResult("c-2", datetime.now(UTC), [])])
    for _ in range(5):
        [value] = data_converter.payload_converter_class().from_payloads(payload, [ScreenResult])
        assert value.case_ref == "c-2"
    assert built.count(ScreenResult) == 1
