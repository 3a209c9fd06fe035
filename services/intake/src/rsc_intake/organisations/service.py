from __future__ import annotations

import uuid

from sqlmodel import Session

from rsc_common.auth import Principal, Role
from rsc_common.contracts.proposal import OrganisationRiskProfile
from rsc_common.db.types import utcnow
from rsc_common.http import ProblemError
from rsc_intake.organisations.models import ApplicantOrganisation
from rsc_intake.proposals.etag import check_if_match

# Funder-side roles may read any applicant organisation; applicants only their own.
FUNDER_ROLES = (Role.case_officer, Role.security_adviser, Role.auditor, Role.admin)


def get_visible_organisation(
    *, session: Session, principal: Principal, organisation_id: uuid.UUID
) -> ApplicantOrganisation:
    if not principal.has_any(*FUNDER_ROLES) and principal.organisation_id != organisation_id:
        # 404, not 403: an applicant learns nothing about other organisations' existence.
        raise ProblemError(404, "not-found", f"organisation {organisation_id} not found")
    organisation = session.get(ApplicantOrganisation, organisation_id)
    if organisation is None:
        raise ProblemError(404, "not-found", f"organisation {organisation_id} not found")
    return organisation


def update_risk_profile(
    *, session: Session, principal: Principal, profile: OrganisationRiskProfile, if_match: str | None
) -> ApplicantOrganisation:
    """Applicants (and their research-security officer) keep their own organisation's profile."""
    if principal.organisation_id is None or not principal.has_any(Role.applicant):
        raise ProblemError(
            403, "not-your-organisation", "only the organisation's own applicants can change its profile"
        )
    organisation = session.get(ApplicantOrganisation, principal.organisation_id, with_for_update=True)
    if organisation is None:
        raise ProblemError(404, "not-found", "your organisation is not registered with the funder")
    check_if_match(if_match, organisation.row_version)
    organisation.profile = profile.model_dump(mode="json")
    organisation.row_version += 1
    organisation.updated_at = utcnow()
    session.add(organisation)
    session.commit()
    return organisation
