from __future__ import annotations

import uuid

from fastapi import APIRouter

from rsc_common.auth import CurrentPrincipal
from rsc_common.http import ProblemError, SessionDep
from rsc_intake.organisations import service
from rsc_intake.organisations.schemas import OrganisationPublic

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.get("/mine", response_model=OrganisationPublic, summary="The caller's own organisation")
def my_organisation(session: SessionDep, principal: CurrentPrincipal) -> object:
    if principal.organisation_id is None:
        raise ProblemError(404, "no-organisation", "your account is not linked to an applicant organisation")
    return service.get_visible_organisation(
        session=session, principal=principal, organisation_id=principal.organisation_id
    )


@router.get("/{organisation_id}", response_model=OrganisationPublic, summary="One applicant organisation")
def get_organisation(organisation_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> object:
    return service.get_visible_organisation(session=session, principal=principal, organisation_id=organisation_id)
