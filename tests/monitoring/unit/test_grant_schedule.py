"""The grant schedule is a pure function: dates, reminders, escalations, done items, the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rsc_monitoring.grants.plan import default_plan
from rsc_monitoring.grants.schedule import GrantTerms, add_months, attestation_dates, milestones

T0 = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)


def terms(**changes) -> GrantTerms:
    values = dict(
        grant_reference="G-1",
        signed_at=T0,
        ends_at=add_months(T0, 24),
        obligations={"SG-TRAINING": T0 + timedelta(days=60)},
        attestation_due=attestation_dates(T0, add_months(T0, 24), 6),
        reminder_days_before=[14, 3],
        escalate_after_days=10,
    )
    values.update(changes)
    return GrantTerms(**values)


def test_months_clamp_to_the_end_of_shorter_months() -> None:
    assert add_months(T0, 1) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(T0, 13) == datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    assert add_months(T0, -1) == datetime(2026, 12, 31, 12, 0, tzinfo=UTC)


def test_attestations_every_interval_until_the_end() -> None:
    dates = attestation_dates(T0, add_months(T0, 24), 6)
    assert dates == [add_months(T0, m) for m in (6, 12, 18, 24)]
    assert attestation_dates(T0, add_months(T0, 24), None) == []
    assert attestation_dates(T0, add_months(T0, 5), 6) == []


def test_every_item_gets_reminders_overdue_and_escalation_in_time_order() -> None:
    plan = milestones(terms())
    assert [m.at for m in plan] == sorted(m.at for m in plan)
    obligation = [m for m in plan if m.item == "obligation"]
    due = T0 + timedelta(days=60)
    assert [(m.kind, m.at) for m in obligation] == [
        ("reminder", due - timedelta(days=14)),
        ("reminder", due - timedelta(days=3)),
        ("overdue", due),
        ("escalated", due + timedelta(days=10)),
    ]
    assert len([m for m in plan if m.item == "attestation"]) == 4 * 4
    assert plan[-1].kind == "ended" or plan[-1].at > add_months(T0, 24)
    assert next(m for m in plan if m.kind == "ended").at == add_months(T0, 24)
    assert len({m.key for m in plan}) == len(plan)


def test_done_items_drop_out_and_obligations_cannot_outlive_the_grant() -> None:
    done = milestones(terms(done_obligations=["SG-TRAINING"], done_attestations=[1, 2]))
    assert not [m for m in done if m.item == "obligation"]
    assert {m.item_id for m in done if m.item == "attestation"} == {"3", "4"}
    late = milestones(terms(obligations={"SG-AUDIT": add_months(T0, 30)}))
    [overdue] = [m for m in late if m.item == "obligation" and m.kind == "overdue"]
    assert overdue.due_at == add_months(T0, 24)


def test_reminders_before_the_signature_are_dropped() -> None:
    soon = milestones(terms(obligations={"SG-X": T0 + timedelta(days=5)}))
    assert [m.kind for m in soon if m.item == "obligation"] == ["reminder", "overdue", "escalated"]


def test_the_default_plan_follows_the_risk_level() -> None:
    plan = default_plan()
    assert [plan.interval_for(level) for level in ("low", "medium", "high", "very_high")] == [None, 12, 6, 6]
    assert plan.warnings(plan.review_by) == []
    assert plan.warnings(plan.review_by + timedelta(days=1)) != []
