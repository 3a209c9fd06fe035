"""The strict (from, to) transition table of cases."""

from __future__ import annotations

import pytest

from rsc_appraisal.cases.states import ACTIVE, FINAL, TRANSITIONS, Action, CaseStatus, TransitionError, check_transition


def test_final_statuses_have_no_way_out() -> None:
    assert not [pair for pair in TRANSITIONS if pair[0] in FINAL]


def test_every_status_can_be_reached_from_screening() -> None:
    reached, frontier = {CaseStatus.screening}, [CaseStatus.screening]
    while frontier:
        current = frontier.pop()
        for source, target in TRANSITIONS:
            if source == current and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseStatus)


def test_active_and_final_do_not_overlap_and_cleared_is_neither() -> None:
    assert not ACTIVE & FINAL
    assert CaseStatus.cleared not in ACTIVE | FINAL  # cleared waits for the grant signature


@pytest.mark.parametrize(
    ("current", "target", "action", "message"),
    [
        (CaseStatus.open, CaseStatus.cleared, Action.decide, "cannot go from open to cleared"),
        (CaseStatus.in_review, CaseStatus.cleared, Action.claim, "claim cannot move a case from in_review"),
        (CaseStatus.awarded, CaseStatus.withdrawn, Action.withdraw, "cannot go from awarded to withdrawn"),
        (CaseStatus.safeguards_pending, CaseStatus.awarded, Action.award, "cannot go from safeguards_pending"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(current, target, action, message) -> None:
    with pytest.raises(TransitionError, match=message):
        check_transition(current, target, action)


def test_staying_in_a_status_is_always_allowed() -> None:
    check_transition(CaseStatus.in_review, CaseStatus.in_review, Action.add_note)
