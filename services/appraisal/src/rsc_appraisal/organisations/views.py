"""Canonical organisations: where else an organisation appears, and officers' match decisions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlmodel import col, select

from rsc_appraisal.organisations import service
from rsc_appraisal.organisations.models import (
    MatchDecision,
    MatchDecisionKind,
    OrganisationIdentifier,
    OrganisationNameKey,
    OrganisationOccurrence,
)
from rsc_appraisal.permissions import ScreeningOperator, ScreeningReader
from rsc_appraisal.screenings.models import AppraisalProposal, Screening
from rsc_common.http import SessionDep

router = APIRouter(prefix="/v1", tags=["organisations"])


class OccurrencePublic(BaseModel):
    proposal_id: uuid.UUID
    version: int
    ref: str
    pointer: str
    declared_name: str
    proposal_state: str | None
    latest_level: str | None


class MatchDecisionCreate(BaseModel):
    list_key: Annotated[str, Field(min_length=1, max_length=64)]
    entry_id: Annotated[str, Field(min_length=1, max_length=200)]
    decision: MatchDecisionKind
    reason: Annotated[str, Field(min_length=3, max_length=4000)]


class MatchDecisionPublic(MatchDecisionCreate):
    id: uuid.UUID
    organisation_id: uuid.UUID
    decided_by: str
    decided_at: datetime


class OrganisationDetail(BaseModel):
    id: uuid.UUID
    key_kind: str
    key: str
    name: str
    country: str | None
    identifiers: list[str] = Field(description='Every identifier seen for it, e.g. "pic:999888001".')
    name_keys: list[str] = Field(description="Every normalised name key it was declared under.")
    occurrences: list[OccurrencePublic]
    decisions: list[MatchDecisionPublic]


@router.get("/organisations/{organisation_id}", response_model=OrganisationDetail)
def get_organisation(organisation_id: uuid.UUID, session: SessionDep, _: ScreeningReader) -> OrganisationDetail:
    organisation = service.get_organisation(session, organisation_id)
    occurrences = []
    for occ in session.exec(
        select(OrganisationOccurrence)
        .where(OrganisationOccurrence.organisation_id == organisation_id)
        .order_by(col(OrganisationOccurrence.created_at))
    ):
        proposal = session.get(AppraisalProposal, occ.proposal_id)
        latest = session.exec(
            select(Screening.level)
            .where(Screening.proposal_id == occ.proposal_id, Screening.version == occ.version)
            .order_by(col(Screening.created_at).desc())
            .limit(1)
        ).first()
        occurrences.append(
            OccurrencePublic(
                **occ.model_dump(include={"proposal_id", "version", "ref", "pointer", "declared_name"}),
                proposal_state=proposal.state if proposal else None,
                latest_level=latest,
            )
        )
    decisions = session.exec(
        select(MatchDecision)
        .where(MatchDecision.organisation_id == organisation_id)
        .order_by(col(MatchDecision.decided_at))
    ).all()
    identifiers = session.exec(
        select(OrganisationIdentifier.key)
        .where(OrganisationIdentifier.organisation_id == organisation_id)
        .order_by(col(OrganisationIdentifier.key))
    ).all()
    name_keys = session.exec(
        select(OrganisationNameKey.key)
        .where(OrganisationNameKey.organisation_id == organisation_id)
        .order_by(col(OrganisationNameKey.key))
    ).all()
    return OrganisationDetail(
        **organisation.model_dump(include={"id", "key_kind", "key", "name", "country"}),
        identifiers=list(identifiers),
        name_keys=list(name_keys),
        occurrences=occurrences,
        decisions=[MatchDecisionPublic.model_validate(d, from_attributes=True) for d in decisions],
    )


@router.post(
    "/organisations/{organisation_id}/match-decisions",
    status_code=201,
    response_model=MatchDecisionPublic,
    summary="Mark a list entry as a false positive (or confirmed match) for this organisation",
)
def decide(
    organisation_id: uuid.UUID, body: MatchDecisionCreate, session: SessionDep, principal: ScreeningOperator
) -> MatchDecision:
    decision = service.add_decision(
        session, organisation_id, body.list_key, body.entry_id, body.decision, body.reason, principal.subject
    )
    session.commit()
    return decision
