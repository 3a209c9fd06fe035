"""Which records a consumer parses: the relay's `event_type` header lets it skip another group's records
without parsing their envelope (unit: no broker, records built by hand)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from kafka.consumer.fetcher import ConsumerRecord

from rsc_common.events.consumer import ConsumerConfig, EventConsumer


class RecordingDlt:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def send(self, topic: str, **kwargs) -> RecordingDlt:
        self.sent.append((topic, kwargs.get("value", b"")))
        return self

    def get(self, timeout: float) -> None:  # the send's future
        pass

    def flush(self) -> None:
        pass


def record(value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t", partition=0, leader_epoch=None, offset=7, timestamp=0, timestamp_type=0, key=b"k",
        value=value, headers=headers, checksum=None, serialized_key_size=1, serialized_value_size=len(value),
        serialized_header_size=0,
    )  # fmt: skip


def consumer(dlt: RecordingDlt) -> EventConsumer:
    config = ConsumerConfig(group_id="g", topics=["t"], bootstrap_servers="unused")
    handlers = {"call.opened": lambda *_: None}
    return EventConsumer(config, engine=None, handlers=handlers, dlt_producer=dlt)  # type: ignore[arg-type]


def test_a_record_another_group_handles_is_skipped_by_its_header_without_parsing() -> None:
    dlt = RecordingDlt()
    # not even JSON: parsing it would dead-letter it
    assert consumer(dlt)._decode(record(b"\x00not json", [("event_type", b"proposal.submitted")])) is None
    assert dlt.sent == []


def test_a_record_with_a_handled_type_or_without_the_header_is_parsed() -> None:
    dlt = RecordingDlt()
    c = consumer(dlt)
    assert c._decode(record(b"\x00not json", [("event_type", b"call.opened")])) is None
    assert c._decode(record(b"\x00not json", [])) is None
    assert len(dlt.sent) == 2  # both parsed, both undecodable: dead-lettered
    envelope = {
        "id": str(uuid.uuid4()), "type": "proposal.withdrawn", "schema_version": 1, "source": "test",
        "subject": "s", "time": datetime.now(UTC).isoformat(), "data": {},
    }  # fmt: skip
    # without the header the envelope decides: not this group's business, and not dead-lettered
    assert c._decode(record(json.dumps(envelope).encode(), [])) is None
    assert len(dlt.sent) == 2
