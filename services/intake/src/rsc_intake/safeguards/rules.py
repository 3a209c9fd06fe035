"""What the applicant may answer to a measure, and when a report from appraisal applies: pure
functions, no database.

The table is `rsc_common.contracts.safeguards`, the one appraisal checks with (appraisal stays the
authority: it refuses a response that no longer fits its state, and its `safeguards.measure_updated`
corrects the status shown here).
"""

from __future__ import annotations

from datetime import datetime

from rsc_common.contracts.safeguards import RESPONSE_ALLOWED_FROM, RESPONSE_LEADS_TO
from rsc_common.http import ProblemError
from rsc_intake.proposals.models import ProposalStatus
from rsc_intake.safeguards.models import MeasureStatus, ResponseKind

# The table is the shared contract (appraisal's case machine checks with the same one).
ALLOWED_FROM = RESPONSE_ALLOWED_FROM
LEADS_TO = RESPONSE_LEADS_TO

# A proposal in one of these states takes no more safeguard responses.
CLOSED_PROPOSAL_STATUSES = frozenset({ProposalStatus.withdrawn, ProposalStatus.decided})


def allowed_kinds(status: str) -> list[ResponseKind]:
    """The kinds of response a measure in `status` accepts (none for an unknown status)."""
    return [kind for kind, statuses in ALLOWED_FROM.items() if status in statuses]


def check_response(kind: ResponseKind, status: str, measure_id: str) -> MeasureStatus:
    """The status the response leads to; 409 if the measure's status does not take it."""
    if status not in ALLOWED_FROM[kind]:
        raise ProblemError(
            409,
            "safeguard-response-not-allowed",
            f"measure {measure_id} is {status}: it cannot take a response of kind '{kind}'",
            measure_status=status,
            allowed_kinds=[str(k) for k in allowed_kinds(status)],
        )
    return LEADS_TO[kind]


def closed_problem(
    *, agreed: bool, proposal_status: ProposalStatus, version: int, current_version: int
) -> ProblemError | None:
    """Why a proposal version's safeguards take no response any more (None while they are open)."""
    if agreed:
        return ProblemError(409, "safeguards-agreed", "the safeguards are agreed: they can no longer be answered")
    if proposal_status in CLOSED_PROPOSAL_STATUSES:
        return ProblemError(
            409,
            "safeguards-closed",
            f"the proposal is {proposal_status}: its safeguards can no longer be answered",
            proposal_status=str(proposal_status),
        )
    if version < current_version:
        return ProblemError(
            409,
            "safeguards-closed",
            f"the safeguards are for version {version}, superseded by version {current_version}",
            proposal_status=str(proposal_status),
        )
    return None


def is_open(*, agreed: bool, proposal_status: ProposalStatus, version: int, current_version: int) -> bool:
    return (
        closed_problem(agreed=agreed, proposal_status=proposal_status, version=version, current_version=current_version)
        is None
    )


def report_applies(reported_at: datetime, last_applied_at: datetime) -> bool:
    """A report from appraisal applies unless an already applied one is newer (redelivered or
    reordered events never move a measure back)."""
    return reported_at >= last_applied_at
