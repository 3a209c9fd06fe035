"""The proposal lifecycle as a strict table keyed by (from, to).

Every accepted transition is written to `proposal_status_change` (append-only) in the same
transaction as the change; anything not in the table is refused with a 409 problem naming both
states and what is allowed from the current one.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from rsc_common.db.types import utcnow
from rsc_common.http import ProblemError
from rsc_intake.proposals.models import Proposal, ProposalStatus, ProposalStatusChange

S = ProposalStatus


class Actor(StrEnum):
    applicant = "applicant"
    appraisal = "appraisal"  # status events from the appraisal service


ALLOWED: dict[tuple[ProposalStatus, ProposalStatus], frozenset[Actor]] = {
    (S.draft, S.submitted): frozenset({Actor.applicant}),
    (S.submitted, S.under_appraisal): frozenset({Actor.appraisal}),
    (S.submitted, S.information_requested): frozenset({Actor.appraisal}),
    (S.submitted, S.decided): frozenset({Actor.appraisal}),  # cleared automatically
    (S.under_appraisal, S.information_requested): frozenset({Actor.appraisal}),
    (S.under_appraisal, S.decided): frozenset({Actor.appraisal}),
    (S.information_requested, S.information_provided): frozenset({Actor.applicant}),
    # an officer may move on (or decide) without waiting for a pending answer
    (S.information_requested, S.under_appraisal): frozenset({Actor.appraisal}),
    (S.information_requested, S.decided): frozenset({Actor.appraisal}),
    # a resubmission (new version) answers a request too
    (S.information_requested, S.submitted): frozenset({Actor.applicant}),
    (S.information_provided, S.submitted): frozenset({Actor.applicant}),
    (S.information_provided, S.information_requested): frozenset({Actor.appraisal}),
    (S.information_provided, S.under_appraisal): frozenset({Actor.appraisal}),
    (S.information_provided, S.decided): frozenset({Actor.appraisal}),
    **{
        (s, S.withdrawn): frozenset({Actor.applicant})
        for s in (S.draft, S.submitted, S.information_requested, S.information_provided, S.under_appraisal)
    },
}

EDITABLE = frozenset({S.draft, S.information_requested, S.information_provided})


def allowed_from(status: ProposalStatus, actor: Actor) -> list[str]:
    return sorted(to for (frm, to), actors in ALLOWED.items() if frm == status and actor in actors)


def check_transition(frm: ProposalStatus, to: ProposalStatus, actor: Actor) -> None:
    """Refuse (409) a transition that is not in the table; the caller records an accepted one."""
    if actor not in ALLOWED.get((frm, to), frozenset()):
        raise ProblemError(
            409,
            "illegal-transition",
            f"a proposal cannot go from '{frm}' to '{to}'",
            from_status=frm,
            to_status=to,
            allowed=allowed_from(frm, actor),
        )


def transition(
    session: Session, proposal: Proposal, to: ProposalStatus, *, actor: Actor, who: str, reason: str | None = None
) -> None:
    frm = proposal.status
    check_transition(frm, to, actor)
    now = utcnow()
    proposal.status = to
    proposal.updated_at = now
    proposal.row_version += 1
    session.add(proposal)
    session.add(
        ProposalStatusChange(proposal_id=proposal.id, from_status=frm, to_status=to, actor=who, reason=reason, at=now)
    )


def require_editable(proposal: Proposal) -> None:
    if proposal.status not in EDITABLE:
        raise ProblemError(
            409,
            "proposal-not-editable",
            f"a proposal in status '{proposal.status}' cannot be edited",
            editable_statuses=sorted(EDITABLE),
        )
