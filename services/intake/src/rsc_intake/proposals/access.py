"""Who may see and change which proposal (need-to-know).

Applicants (and their organisation's research-security officer, who holds the applicant role in
the same organisation) see and edit only their own organisation's proposals; case officers and
security advisers read all; auditors read all, read-only; nobody else reads proposals.
Another organisation's proposal answers 404, not 403: its existence is not disclosed.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from rsc_common.auth import Principal, Role
from rsc_common.http import ProblemError
from rsc_intake.proposals.models import Proposal

READ_ALL_ROLES = (Role.case_officer, Role.security_adviser, Role.auditor)


def can_read_all(principal: Principal) -> bool:
    return principal.has_any(*READ_ALL_ROLES)


def _not_found(proposal_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, "not-found", f"proposal {proposal_id} not found")


def load_for_read(session: Session, principal: Principal, proposal_id: uuid.UUID) -> Proposal:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise _not_found(proposal_id)
    if can_read_all(principal):
        return proposal
    if principal.has_any(Role.applicant) and principal.organisation_id == proposal.organisation_id:
        return proposal
    raise _not_found(proposal_id)


def require_writer(principal: Principal, proposal_id: uuid.UUID) -> uuid.UUID:
    """The organisation whose proposals `principal` may change (only applicants of one); staff get a
    403, anyone else the same 404 as for a proposal that does not exist."""
    if not principal.has_any(Role.applicant) or principal.organisation_id is None:
        if can_read_all(principal):
            raise ProblemError(403, "read-only", "only the applicant organisation can change its proposal")
        raise _not_found(proposal_id)
    return principal.organisation_id


def check_owner(principal_organisation: uuid.UUID, proposal_id: uuid.UUID, owner: uuid.UUID | None) -> None:
    """404 unless the proposal exists (`owner` is its organisation) and belongs to the writer's organisation."""
    if owner is None or owner != principal_organisation:
        raise _not_found(proposal_id)


def load_for_write(session: Session, principal: Principal, proposal_id: uuid.UUID, *, lock: bool = True) -> Proposal:
    """The applicant's own proposal, row-locked for the rest of the transaction."""
    organisation_id = require_writer(principal, proposal_id)
    proposal = session.get(Proposal, proposal_id, with_for_update=lock)
    check_owner(organisation_id, proposal_id, proposal.organisation_id if proposal is not None else None)
    assert proposal is not None
    return proposal
