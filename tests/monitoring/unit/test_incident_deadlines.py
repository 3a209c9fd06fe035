"""Incident deadlines are a pure function of the incident's state, in working days of the policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rsc_common.contracts.incidents import Status
from rsc_monitoring.incidents.deadlines import MeasureDue, deadlines
from rsc_monitoring.incidents.machine import TRANSITIONS
from rsc_monitoring.incidents.policy import default_policy

FRIDAY = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)


def test_working_days_skip_weekends_both_ways() -> None:
    policy = default_policy()
    assert policy.add_working_days(FRIDAY, 1) == FRIDAY + timedelta(days=3)  # Monday
    assert policy.add_working_days(FRIDAY, 2) == FRIDAY + timedelta(days=4)
    assert policy.add_working_days(FRIDAY + timedelta(days=3), -1) == FRIDAY
    assert policy.add_working_days(FRIDAY, 0) == FRIDAY


def test_a_reported_incident_has_triage_deadlines_only() -> None:
    policy = default_policy()
    due = policy.add_working_days(FRIDAY, 2)
    found = deadlines(policy, status="reported", triage_due_at=due, investigation_due_at=None, measures=[])
    assert [(d.item, d.kind) for d in found] == [("triage", "reminder"), ("triage", "overdue"), ("triage", "escalated")]
    assert found[1].at == due
    assert found[2].at == policy.add_working_days(due, policy.escalate_after_working_days)


def test_measures_in_progress_have_deadlines_done_ones_not() -> None:
    policy = default_policy()
    measures = [
        MeasureDue("a", "planned", FRIDAY + timedelta(days=10)),
        MeasureDue("b", "done", FRIDAY + timedelta(days=10)),
        MeasureDue("c", "in_progress", FRIDAY + timedelta(days=20)),
    ]
    found = deadlines(policy, status="measures", triage_due_at=FRIDAY, investigation_due_at=FRIDAY, measures=measures)
    assert {d.item_id for d in found} == {"a", "c"}
    assert not deadlines(policy, status="closed", triage_due_at=FRIDAY, investigation_due_at=FRIDAY, measures=measures)


def test_a_moved_deadline_gets_new_keys() -> None:
    policy = default_policy()
    one = deadlines(policy, status="triaged", triage_due_at=FRIDAY, investigation_due_at=FRIDAY, measures=[])
    two = deadlines(
        policy, status="triaged", triage_due_at=FRIDAY, investigation_due_at=FRIDAY + timedelta(days=7), measures=[]
    )
    assert not {d.key for d in one} & {d.key for d in two}


def test_every_state_but_closed_can_be_left_and_closed_is_final() -> None:
    sources = {source for source, _ in TRANSITIONS}
    assert sources == set(Status) - {Status.closed}
    assert all(target != Status.reported for _, target in TRANSITIONS)
