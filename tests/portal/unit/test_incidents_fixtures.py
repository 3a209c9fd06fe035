"""Monitoring API answers shaped like the real incident ones (IncidentPublic / IncidentDetail, whose `next_statuses`
come from the API's own state machine, as the API builds them); no tests here."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from rsc_monitoring.incidents import machine
from tests.portal.pages import FakeApis
from tests.portal.unit.test_casework_fixtures import subject_of

__all__ = ["INCIDENT_ID", "MEASURE_ID", "incident", "iso", "measure", "page", "subject_of", "with_incident"]

INCIDENT_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
MEASURE_ID = "5f0e1d2c-3b4a-4968-8776-655443322110"
OTHER_OFFICER = "a0a0a0a0-1111-2222-3333-444455556666"


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def public(status: str = "reported", **kw: Any) -> dict[str, Any]:
    base = {
        "id": INCIDENT_ID,
        "reference": "INC-2026-1A2B3C4D",
        "grant_reference": "GA-2026-0007",
        "organisation_id": "0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01",
        "type": "suspicious_approach",
        "severity": "medium",
        "status": status,
        "channel": "grantee",
        "title": "Visitor asked for lab access",
        "reported_at": iso(timedelta(days=-3)),
        "triage_due_at": iso(timedelta(days=5)),
        "triaged_at": None,
        "investigation_due_at": None,
        "assignees": [],
        "outcome": None,
        "closed_at": None,
        "exercise": False,
    }
    if status != "reported":
        base.update(triaged_at=iso(timedelta(days=-2)), investigation_due_at=iso(timedelta(days=20)))
    if status == "closed":
        base.update(outcome="Access refused; staff briefed", closed_at=iso(timedelta(days=-1)))
    base.update(kw)
    return base


def measure(status: str = "planned", **kw: Any) -> dict[str, Any]:
    return {
        "id": MEASURE_ID,
        "kind": "corrective_plan",
        "status": status,
        "owner": "grantee security officer",
        "note": "Submit a corrective action plan for visitor access.",
        "due_at": iso(timedelta(days=30)),
        "decided_by": OTHER_OFFICER,
        "decided_at": iso(timedelta(days=-1)),
        "done_at": iso(timedelta(hours=-1)) if status == "done" else None,
        "next_statuses": [s.value for s in machine.next_measure_statuses(status)],
        **kw,
    }


def incident(status: str = "reported", assignees: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    """An IncidentDetail; evidence readable (the caller is assigned) unless `evidence` says otherwise."""
    detail = {
        **public(status, assignees=list(assignees or [])),
        "occurred_at": iso(timedelta(days=-4)),
        "lessons_learned": None,
        "measures": [measure()] if status in ("measures", "closed") else [],
        "timeline": [
            {
                "seq": 1,
                "action": "report",
                "actor": "grantee-user",
                "from_status": "reported",
                "to_status": "reported",
                "summary": "reported: Visitor asked for lab access",
                "at": iso(timedelta(days=-3)),
            }
        ],
        "evidence": [
            {
                "id": "11111111-2222-3333-4444-555555555555",
                "kind": "description",
                "body": "A visitor without an appointment asked to see the cleanroom and its process recipes.",
                "attachments": [],
                "added_by": "grantee-user",
                "added_at": iso(timedelta(days=-3)),
            }
        ],
        "evidence_withheld": 0,
        "policy_warnings": [],
        "next_statuses": [{"status": to.value, "action": action} for to, action in machine.next_statuses(status)],
    }
    detail.update(copy.deepcopy(kw))
    return detail


def page(*items: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {"items": list(items), "total": len(items) if total is None else total, "limit": 50, "offset": 0}


TYPES = [
    {"code": "suspicious_approach", "description": "A suspicious approach to project staff."},
    {"code": "export_control_breach", "description": "Export-control rules were breached."},
    {"code": "other", "description": "Anything else."},
]


def with_incident(apis: FakeApis, detail: dict[str, Any]) -> None:
    apis.on("GET", "monitoring", f"/v1/incidents/{detail['id']}", detail)
    apis.on("GET", "monitoring", "/v1/incident-types", TYPES)
