from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from rsc_common.auth import CurrentPrincipal
from rsc_monitoring.incidents.types import DESCRIPTIONS, IncidentType

router = APIRouter(prefix="/v1", tags=["incidents"])


class IncidentTypePublic(BaseModel):
    code: IncidentType
    description: str


@router.get("/incident-types", response_model=list[IncidentTypePublic], summary="Incident types that can be reported")
def incident_types(_: CurrentPrincipal) -> list[IncidentTypePublic]:
    return [IncidentTypePublic(code=code, description=DESCRIPTIONS[code]) for code in IncidentType]
