"""Inputs and outputs of the incident workflow's activities (dataclasses: Temporal's converter)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

WORKFLOW_NAME = "IncidentHandling"


@dataclass
class IncidentRef:
    incident_id: uuid.UUID


@dataclass
class PendingDeadline:
    key: str
    at: datetime


@dataclass
class PendingDeadlines:
    deadlines: list[PendingDeadline]
    closed: bool


@dataclass
class RecordDeadline:
    incident_id: uuid.UUID
    key: str
