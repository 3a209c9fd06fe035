"""The incident detail tells its clients where the incident and each measure may go next: exactly the
transitions of the state machine, documented in the API schema."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from rsc_common.contracts.incidents import MeasureStatus, Status
from rsc_monitoring.app import build_app
from rsc_monitoring.incidents.machine import MEASURE_TRANSITIONS, TRANSITIONS
from rsc_monitoring.incidents.schemas import IncidentDetail, MeasurePublic
from rsc_monitoring.settings import MonitoringSettings

AT = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)


def measure(status: str) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "kind": "corrective_plan", "status": status, "owner": "grantee", "note": "plan",
        "due_at": AT, "decided_by": "officer", "decided_at": AT, "done_at": None,
    }  # fmt: skip


def detail(status: str, measures: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An IncidentDetail as the API answers it (JSON)."""
    incident = IncidentDetail(
        id=uuid.uuid4(), reference="INC-2027-0A1B2C3D", grant_reference=None, organisation_id=None,
        type="suspicious_approach", severity="medium", status=status, channel="officer", title="Visitor",
        reported_at=AT, triage_due_at=AT, triaged_at=None, investigation_due_at=None, assignees=[],
        outcome=None, closed_at=None, exercise=False, occurred_at=None, lessons_learned=None,
        measures=[MeasurePublic(**m) for m in measures or []], timeline=[], evidence=[], evidence_withheld=0,
        policy_warnings=[],
    )  # fmt: skip
    return incident.model_dump(mode="json")


@pytest.mark.parametrize("status", list(Status))
def test_next_statuses_are_the_transitions_the_machine_allows(status: Status) -> None:
    expected = [
        {"status": target.value, "action": action}
        for target in Status
        for (source, to), action in TRANSITIONS.items()
        if source == status and to == target
    ]
    assert detail(status.value)["next_statuses"] == expected


def test_every_transition_of_the_machine_is_offered_from_its_status() -> None:
    offered = {(s.value, n["status"], n["action"]) for s in Status for n in detail(s.value)["next_statuses"]}
    assert offered == {(a.value, b.value, action) for (a, b), action in TRANSITIONS.items()}
    assert detail("closed")["next_statuses"] == []


@pytest.mark.parametrize("status", list(MeasureStatus))
def test_a_measure_offers_the_statuses_its_machine_allows(status: MeasureStatus) -> None:
    [answered] = detail("measures", [measure(status.value)])["measures"]
    assert answered["next_statuses"] == [t.value for t in MeasureStatus if (status, t) in MEASURE_TRANSITIONS]


def test_the_next_statuses_are_documented_in_the_api_schema() -> None:
    settings = MonitoringSettings(database_url="postgresql+psycopg://rsc@127.0.0.1:1/schema-only")
    schemas = build_app(settings).openapi()["components"]["schemas"]
    for name in ("IncidentDetail", "MeasurePublic"):
        field = schemas[name]["properties"]["next_statuses"]
        assert "next_statuses" in schemas[name]["required"]
        assert field["type"] == "array"
        assert "state machine" in field["description"]
    assert set(schemas["NextStatus"]["required"]) == {"status", "action"}
    assert "next_statuses" not in schemas["IncidentPublic"]["properties"]  # the list does not carry it
