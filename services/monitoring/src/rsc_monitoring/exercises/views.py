"""Resilience exercises (admins start them; participants and admins read their report)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from rsc_common.auth import CurrentPrincipal
from rsc_common.http import SessionDep
from rsc_monitoring.exercises import service
from rsc_monitoring.permissions import Admin

router = APIRouter(prefix="/v1/exercises", tags=["resilience exercises"])


class Injection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    template: str = Field(min_length=1, max_length=100)
    grant_reference: str = Field(min_length=1, max_length=100)


class ExerciseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=3, max_length=200)
    participants: list[str] = Field(
        min_length=1, max_length=50, description="Keycloak subjects of the people taking part."
    )
    injections: list[Injection] = Field(min_length=1, max_length=50)


class TemplatePublic(BaseModel):
    id: str
    incident_type: str
    severity: str
    title: str


@router.get("/templates", response_model=list[TemplatePublic], summary="Simulated incidents that can be injected")
def list_templates(_: Admin) -> Any:
    return [t.model_dump() for t in service.templates().values()]


@router.post("", status_code=201, summary="Start an exercise: inject simulated incidents into grants")
def start_exercise(data: ExerciseCreate, principal: Admin, session: SessionDep) -> dict:
    exercise, incidents = service.start(
        session,
        principal,
        name=data.name,
        participants=data.participants,
        injections=[(i.template, i.grant_reference) for i in data.injections],
    )
    session.commit()
    return {"exercise_id": str(exercise.id), "incident_ids": [str(i.id) for i in incidents]}


@router.get("/{exercise_id}/report", summary="Time to triage, time to measures, missed deadlines")
def exercise_report(exercise_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> dict:
    return service.report(session, service.get_exercise(session, exercise_id, principal))
