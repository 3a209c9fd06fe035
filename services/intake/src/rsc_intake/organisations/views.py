from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from rsc_common.auth import CurrentPrincipal
from rsc_common.contracts.proposal import OrganisationRiskProfile
from rsc_common.http import ProblemError, SessionDep
from rsc_intake.organisations import service
from rsc_intake.organisations.schemas import OrganisationPublic
from rsc_intake.proposals.etag import etag

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


@router.get("/mine", response_model=OrganisationPublic, summary="The caller's own organisation and its profile")
def my_organisation(session: SessionDep, principal: CurrentPrincipal, response: Response) -> object:
    if principal.organisation_id is None:
        raise ProblemError(404, "no-organisation", "your account is not linked to an applicant organisation")
    organisation = service.get_visible_organisation(
        session=session, principal=principal, organisation_id=principal.organisation_id
    )
    response.headers["ETag"] = etag(organisation.row_version)
    return organisation


@router.put(
    "/mine/profile",
    response_model=OrganisationPublic,
    summary="Replace your organisation's research-security profile (needs If-Match)",
)
def update_profile(
    profile: OrganisationRiskProfile,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> object:
    organisation = service.update_risk_profile(session=session, principal=principal, profile=profile, if_match=if_match)
    response.headers["ETag"] = etag(organisation.row_version)
    return organisation


@router.get("/{organisation_id}", response_model=OrganisationPublic, summary="One applicant organisation")
def get_organisation(organisation_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> object:
    return service.get_visible_organisation(session=session, principal=principal, organisation_id=organisation_id)
