"""Pieces of the incident pages without a page: deadline classification, the vocabulary shared with the
monitoring API, and the form readers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from starlette.datastructures import FormData

from rsc_common.contracts import incidents
from rsc_portal.incidents import deadlines, forms

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def _at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


@pytest.mark.parametrize(
    ("delta", "state", "days"),
    [
        (timedelta(hours=-1), "overdue", 1),
        (timedelta(days=-2, hours=-1), "overdue", 3),
        (timedelta(hours=5), "due_soon", 1),
        (timedelta(days=2), "due_soon", 2),
        (timedelta(days=2, minutes=1), "on_time", 3),
        (timedelta(days=10), "on_time", 10),
    ],
)
def test_deadline_states(delta: timedelta, state: str, days: int) -> None:
    d = deadlines.classify("triage", _at(delta), now=NOW)
    assert (d.state, d.days) == (state, days)


def test_the_running_deadline_follows_the_status() -> None:
    base = {"triage_due_at": _at(timedelta(days=-1)), "investigation_due_at": _at(timedelta(days=5))}
    assert deadlines.current({**base, "status": "reported"}, NOW).state == "overdue"
    assert deadlines.current({**base, "status": "investigating"}, NOW).item == "investigation"
    assert deadlines.current({**base, "status": "investigating"}, NOW).state == "on_time"
    assert deadlines.current({**base, "status": "closed"}, NOW).state == "none"
    assert deadlines.current({"status": "reported", "triage_due_at": "garbage"}, NOW).state == "none"


def test_met_deadlines_are_no_alarm() -> None:
    incident = {
        "status": "measures",
        "triage_due_at": _at(timedelta(days=-10)),
        "investigation_due_at": _at(timedelta(days=-1)),
        "measures": [
            {"id": "m1", "status": "done", "due_at": _at(timedelta(days=-1))},
            {"id": "m2", "status": "planned", "due_at": _at(timedelta(days=1))},
        ],
    }
    states = [(d.item, d.item_id, d.state) for d in deadlines.all_of(incident, NOW)]
    assert states == [
        ("triage", "", "met"),
        ("investigation", "", "met"),
        ("measure", "m1", "met"),
        ("measure", "m2", "due_soon"),
    ]
    assert deadlines.worst(deadlines.all_of(incident, NOW)) == "due_soon"


def test_the_choices_are_the_monitoring_apis_vocabulary() -> None:
    """One vocabulary (rsc_common.contracts.incidents): the API's state machine and schemas use it, the portal
    offers it. Which transitions are allowed, the incident detail says."""
    from rsc_monitoring.incidents import machine, schemas

    assert machine.Status is incidents.Status
    assert schemas.MeasureCreate.model_fields["kind"].annotation is incidents.MeasureKind
    assert schemas.EvidenceCreate.model_fields["kind"].annotation is incidents.EvidenceKind
    assert {s for pair in machine.TRANSITIONS for s in pair} == set(incidents.Status)
    assert tuple(incidents.Status) == forms.STATUSES
    assert tuple(incidents.Severity) == forms.SEVERITIES
    assert tuple(incidents.MeasureKind) == forms.MEASURE_KINDS
    assert tuple(incidents.MeasureStatus) == forms.MEASURE_STATUSES
    assert forms.EVIDENCE_KINDS == ("note", "evidence")


def test_form_readers() -> None:
    assert forms.subjects(" a\nb, c;a ") == ["a", "b", "c"]
    with pytest.raises(forms.FormProblem) as problem:
        forms.closure(FormData([("outcome", "x")]))
    assert problem.value.fields == {"lessons_learned": "incidents.error.required"}
    with pytest.raises(forms.FormProblem) as problem:
        forms.triage(FormData([("severity", "extreme"), ("note", "n")]))
    assert problem.value.fields == {"severity": "incidents.error.required"}
    assert forms.evidence(FormData([("kind", "note"), ("body", " text ")])) == {"kind": "note", "body": "text"}
    with pytest.raises(forms.FormProblem):
        forms.assignees(FormData([("assignees", " \n ")]))


def test_api_pointers_become_field_names() -> None:
    pointers = {"/note": "required", "/measures/1/due_at": "bad date", "/measures/7/owner": "x", "/a/b": "y"}
    assert forms.api_field_errors(pointers, ["termination", "corrective_plan"]) == {
        "note": "required",
        "due__corrective_plan": "bad date",
        "/measures/7/owner": "x",
        "/a/b": "y",
    }


def test_a_deadline_met_after_the_due_date_says_so() -> None:
    late = {
        "status": "triaged",
        "triage_due_at": _at(timedelta(days=-5)),
        "triaged_at": _at(timedelta(days=-4)),
        "investigation_due_at": _at(timedelta(days=5)),
    }
    triage = deadlines.all_of(late, NOW)[0]
    assert (triage.state, triage.late) == ("met", True)
    in_time = deadlines.all_of({**late, "triaged_at": _at(timedelta(days=-6))}, NOW)[0]
    assert (in_time.state, in_time.late) == ("met", False)
