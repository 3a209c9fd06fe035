from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from rsc_common.auth import CurrentPrincipal, Principal, RequireRoles, Role
from rsc_common.http import ProblemError, SessionDep
from rsc_intake.calls.service import get_call
from rsc_intake.questionnaires import service
from rsc_intake.questionnaires.schemas import QuestionnaireCreate, QuestionnairePublic

router = APIRouter(prefix="/v1", tags=["questionnaires"])

AdminOnly = Annotated[Principal, Depends(RequireRoles(Role.admin))]


@router.get(
    "/calls/{call_id}/questionnaire",
    response_model=QuestionnairePublic,
    summary="The call's current (latest) research-security questionnaire",
)
def latest_questionnaire(call_id: uuid.UUID, session: SessionDep, _: CurrentPrincipal) -> QuestionnairePublic:
    get_call(session=session, call_id=call_id)
    questionnaire = service.latest_questionnaire(session, call_id)
    if questionnaire is None:
        raise ProblemError(404, "no-questionnaire", f"call {call_id} has no questionnaire yet")
    return service.to_public(questionnaire)


@router.get(
    "/calls/{call_id}/questionnaires/{version}",
    response_model=QuestionnairePublic,
    summary="One published version of the call's questionnaire",
)
def questionnaire_version(
    call_id: uuid.UUID, version: Annotated[int, Path(ge=1, le=1_000_000)], session: SessionDep, _: CurrentPrincipal
) -> QuestionnairePublic:
    get_call(session=session, call_id=call_id)
    try:
        questionnaire = service.get_questionnaire(session, call_id, version)
    except ProblemError as exc:
        # 422 is for a proposal naming a version that does not exist; here the URL names it.
        raise ProblemError(404, "not-found", exc.detail) from None
    return service.to_public(questionnaire)


@router.post(
    "/calls/{call_id}/questionnaires",
    response_model=QuestionnairePublic,
    status_code=status.HTTP_201_CREATED,
    summary="Publish a new questionnaire version for the call",
)
def publish_questionnaire(
    call_id: uuid.UUID, data: QuestionnaireCreate, session: SessionDep, principal: AdminOnly
) -> QuestionnairePublic:
    return service.to_public(service.publish(session, call_id, data.definition, principal.subject))
