from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import col, select

from rsc_appraisal.calls.models import CallReference
from rsc_common.auth import Principal, RequireRoles, Role
from rsc_common.http import SessionDep

router = APIRouter(prefix="/v1", tags=["calls"])

FunderStaff = Annotated[
    Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin, Role.auditor))
]


class CallReferencePublic(BaseModel):
    call_id: uuid.UUID
    programme_name: str
    identifier: str
    title: str
    opens_at: datetime
    closes_at: datetime
    received_at: datetime


@router.get("/calls", response_model=list[CallReferencePublic], summary="Calls known to appraisal")
def list_calls(session: SessionDep, _: FunderStaff) -> list:
    return list(session.exec(select(CallReference).order_by(col(CallReference.closes_at))))
