"""Event payloads: the shared contract between producers and consumers.

Each payload is registered under (type, schema version). Changing a payload incompatibly means a
new schema version, registered beside the old one until every consumer has moved on. The JSON
Schemas in docs/events/ are generated from these classes and checked by a test.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import AwareDatetime, Field

from rsc_common.events import topics
from rsc_common.events.catalog import register
from rsc_common.events.envelope import EventData


@register
class CallOpened(EventData):
    """A funding call was opened for submissions (intake)."""

    event_type: ClassVar[str] = "call.opened"
    topic: ClassVar[str] = topics.INTAKE

    call_id: uuid.UUID
    programme_id: uuid.UUID
    programme_name: str
    identifier: str = Field(description="The funder's call identifier, e.g. HORIZON-CL4-2027-01.")
    title: str
    opens_at: AwareDatetime
    closes_at: AwareDatetime


__all__ = ["CallOpened"]
