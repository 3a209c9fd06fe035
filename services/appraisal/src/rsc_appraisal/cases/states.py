"""Case statuses and the strict transition table: every status change is keyed by (from, to) and
allowed only for the actions listed. The machine refuses anything else with a clear message."""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    screening = "screening"  # the workflow started, the engine has not answered yet
    open = "open"  # in the queue, nobody assigned
    in_review = "in_review"
    awaiting_applicant = "awaiting_applicant"  # information requested (the SLA clock pauses)
    awaiting_referral = "awaiting_referral"  # referred upward, waiting for the authority's answer
    awaiting_second_review = "awaiting_second_review"  # four-eyes: a decision proposed, not yet confirmed
    safeguards_pending = "safeguards_pending"  # cleared with safeguards, measures being agreed
    cleared = "cleared"  # cleared (and safeguards agreed): the grant can be signed
    not_fundable = "not_fundable"
    awarded = "awarded"
    withdrawn = "withdrawn"
    superseded = "superseded"  # a newer version of the proposal has its own case


FINAL = frozenset({CaseStatus.not_fundable, CaseStatus.awarded, CaseStatus.withdrawn, CaseStatus.superseded})
# Statuses in which officers still work on the appraisal (the queue's default view).
ACTIVE = frozenset(
    {
        CaseStatus.open,
        CaseStatus.in_review,
        CaseStatus.awaiting_applicant,
        CaseStatus.awaiting_referral,
        CaseStatus.awaiting_second_review,
        CaseStatus.safeguards_pending,
    }
)


class Action(StrEnum):
    auto_clear = "auto_clear"
    open = "open"
    claim = "claim"
    assign = "assign"
    reassign = "reassign"
    add_note = "add_note"
    request_information = "request_information"
    information_provided = "information_provided"
    record_appraisal = "record_appraisal"
    decide = "decide"
    confirm_decision = "confirm_decision"
    return_decision = "return_decision"
    refer = "refer"
    referral_answered = "referral_answered"
    applicant_safeguard_response = "applicant_safeguard_response"
    revise_measure = "revise_measure"
    verify_measure = "verify_measure"
    award = "award"
    withdraw = "withdraw"
    supersede = "supersede"


S, A = CaseStatus, Action
_WORKING = (S.open, S.in_review, S.awaiting_applicant, S.awaiting_referral, S.awaiting_second_review)

TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], frozenset[Action]] = {
    (S.screening, S.open): frozenset({A.open}),
    (S.screening, S.in_review): frozenset({A.open}),  # a resubmission keeps the previous version's reviewers
    (S.screening, S.cleared): frozenset({A.auto_clear}),
    (S.open, S.in_review): frozenset({A.claim, A.assign}),
    (S.in_review, S.awaiting_applicant): frozenset({A.request_information}),
    (S.awaiting_applicant, S.in_review): frozenset({A.information_provided}),
    (S.in_review, S.awaiting_referral): frozenset({A.refer}),
    (S.awaiting_referral, S.in_review): frozenset({A.referral_answered}),
    (S.in_review, S.awaiting_second_review): frozenset({A.decide}),
    (S.awaiting_second_review, S.in_review): frozenset({A.return_decision}),
    # a decision takes effect: directly (one reviewer) or when a second person confirms it (four-eyes)
    (S.in_review, S.cleared): frozenset({A.decide}),
    (S.in_review, S.safeguards_pending): frozenset({A.decide}),
    (S.in_review, S.not_fundable): frozenset({A.decide}),
    (S.awaiting_second_review, S.cleared): frozenset({A.confirm_decision}),
    (S.awaiting_second_review, S.safeguards_pending): frozenset({A.confirm_decision}),
    (S.awaiting_second_review, S.not_fundable): frozenset({A.confirm_decision}),
    (S.safeguards_pending, S.cleared): frozenset({A.verify_measure}),
    (S.cleared, S.awarded): frozenset({A.award}),
    **{(s, S.withdrawn): frozenset({A.withdraw}) for s in (S.screening, *_WORKING, S.safeguards_pending, S.cleared)},
    **{(s, S.superseded): frozenset({A.supersede}) for s in (S.screening, *_WORKING, S.safeguards_pending, S.cleared)},
}


class TransitionError(ValueError):
    pass


def check_transition(current: CaseStatus, target: CaseStatus, action: Action) -> None:
    """Raise unless `action` may move a case from `current` to `target`."""
    if current == target:
        return
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        raise TransitionError(f"a case cannot go from {current.value} to {target.value}")
    if action not in allowed:
        raise TransitionError(f"{action.value} cannot move a case from {current.value} to {target.value}")
