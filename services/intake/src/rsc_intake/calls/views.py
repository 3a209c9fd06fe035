from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from rsc_common.auth import CurrentPrincipal, Principal, RequireRoles, Role
from rsc_common.http import SessionDep
from rsc_intake.calls import service
from rsc_intake.calls.schemas import CallCreate, CallPublic, ProgrammeCreate, ProgrammePublic

router = APIRouter(prefix="/v1", tags=["calls"])

AdminOnly = Annotated[Principal, Depends(RequireRoles(Role.admin))]


@router.get("/programmes", response_model=list[ProgrammePublic], summary="List funding programmes")
def list_programmes(session: SessionDep, _: CurrentPrincipal) -> list:
    return service.list_programmes(session=session)


@router.post(
    "/programmes", response_model=ProgrammePublic, status_code=status.HTTP_201_CREATED, summary="Create a programme"
)
def create_programme(data: ProgrammeCreate, session: SessionDep, _: AdminOnly) -> object:
    return service.create_programme(session=session, data=data)


@router.get("/calls", response_model=list[CallPublic], summary="List calls (open ones by default)")
def list_calls(
    session: SessionDep, _: CurrentPrincipal, open_only: Annotated[bool, Query(alias="open")] = True
) -> list[CallPublic]:
    return [service.to_public(c) for c in service.list_calls(session=session, open_only=open_only)]


@router.get("/calls/{call_id}", response_model=CallPublic, summary="One call")
def get_call(call_id: uuid.UUID, session: SessionDep, _: CurrentPrincipal) -> CallPublic:
    return service.to_public(service.get_call(session=session, call_id=call_id))


@router.post("/calls", response_model=CallPublic, status_code=status.HTTP_201_CREATED, summary="Open a call")
def create_call(data: CallCreate, session: SessionDep, _: AdminOnly) -> CallPublic:
    return service.to_public(service.create_call(session=session, data=data))
