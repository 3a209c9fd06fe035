from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, status
from fastapi.responses import JSONResponse

from rsc_common.auth import Principal, RequireRoles, Role
from rsc_common.http import SessionDep
from rsc_common.http.problem import PROBLEM_RESPONSES
from rsc_intake.proposals import access
from rsc_intake.safeguards import service
from rsc_intake.safeguards.schemas import SafeguardResponseAccepted, SafeguardResponseCreate, SafeguardsPublic

router = APIRouter(prefix="/v1/proposals/{proposal_id}/safeguards", tags=["safeguards"])

Applicant = Annotated[Principal, Depends(RequireRoles(Role.applicant))]
Reader = Annotated[
    Principal, Depends(RequireRoles(Role.applicant, Role.case_officer, Role.security_adviser, Role.auditor))
]
IdempotencyKey = Annotated[str | None, Header(description="Repeat-safe key: a retry returns the first answer.")]
MeasureId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$", description="As appraisal named it.")]


@router.get(
    "",
    response_model=SafeguardsPublic,
    summary="The safeguard measures proposed for the latest version that has any, with their status",
)
def get_safeguards(proposal_id: uuid.UUID, session: SessionDep, principal: Reader) -> SafeguardsPublic:
    return service.safeguards(session, access.load_for_read(session, principal, proposal_id))


@router.post(
    "/{measure_id}/responses",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SafeguardResponseAccepted,
    summary="Accept a measure, ask for a change, or submit evidence (appraisal confirms the new status)",
    responses={code: PROBLEM_RESPONSES[code] for code in (400, 403, 404, 409, 422)},
)
def respond(
    proposal_id: uuid.UUID,
    measure_id: MeasureId,
    data: SafeguardResponseCreate,
    session: SessionDep,
    principal: Applicant,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    code, body = service.respond(session, principal, proposal_id, measure_id, data, idempotency_key)
    return JSONResponse(body, status_code=code)
