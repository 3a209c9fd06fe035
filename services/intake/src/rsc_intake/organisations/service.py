from __future__ import annotations

import uuid

from sqlmodel import Session

from rsc_common.auth import Principal, Role
from rsc_common.http import ProblemError
from rsc_intake.organisations.models import ApplicantOrganisation

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
