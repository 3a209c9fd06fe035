"""Inputs of the grant workflow and its activity (dataclasses: Temporal's JSON converter)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rsc_monitoring.grants.schedule import GrantTerms

WORKFLOW_NAME = "GrantMonitoring"


def grant_workflow_id(reference: str) -> str:
    return f"grant:{reference}"


@dataclass
class GrantWorkflowInput:
    grant_id: uuid.UUID
    terms: GrantTerms
    escalate_to_role: str
    fired: list[str]  # milestone keys recorded before a continue-as-new


@dataclass
class RecordMilestone:
    grant_id: uuid.UUID
    workflow_id: str
    key: str
    kind: str
    item: str
    item_id: str
    due_at: datetime
    escalate_to_role: str


@dataclass
class MilestoneOutcome:
    recorded: bool
    skipped: bool  # the item was done already (the workflow's signal had not arrived yet)


@dataclass
class ItemDone:
    """Signal: an obligation was fulfilled or waived, or an attestation submitted."""

    item: str  # obligation | attestation
    item_id: str


@dataclass
class EndGrant:
    """Signal: the grant ends now (terminated as an incident measure)."""

    reason: str
    at: datetime
