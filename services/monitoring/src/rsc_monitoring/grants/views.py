"""Funded projects: grants with their obligations and attestations.

Grantees (applicant users of the grantee organisation) see their own grants only, submit evidence
and attestations; officers decide on evidence; auditors read. Deadlines are the grant workflow's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlmodel import Session, col, func, select

from rsc_common.auth import CurrentPrincipal
from rsc_common.db.types import utcnow
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_monitoring.grants import service
from rsc_monitoring.grants.models import Attestation, GrantAward, Obligation
from rsc_monitoring.grants.plan import MonitoringPlan, load_plan
from rsc_monitoring.grants.schemas import (
    AttestationCreate,
    AttestationPublic,
    EvidenceCreate,
    GrantDetail,
    GrantPage,
    GrantPublic,
    ObligationDecisionCreate,
    ObligationPublic,
)
from rsc_monitoring.permissions import GrantOfficer

router = APIRouter(prefix="/v1/grants", tags=["grants"])


def plan_of(request: Request) -> MonitoringPlan:
    return load_plan(request.app.state.settings.monitoring_plan_file)


def _public(grant: GrantAward) -> GrantPublic:
    return GrantPublic.model_validate(grant, from_attributes=True)


def _detail(session: Session, grant: GrantAward, plan: MonitoringPlan) -> GrantDetail:
    obligations = session.exec(
        select(Obligation).where(Obligation.grant_id == grant.id).order_by(col(Obligation.due_at))
    ).all()
    attestations = session.exec(
        select(Attestation).where(Attestation.grant_id == grant.id).order_by(col(Attestation.period))
    ).all()
    return GrantDetail(
        **_public(grant).model_dump(),
        obligations=[ObligationPublic.model_validate(o, from_attributes=True) for o in obligations],
        attestations=[AttestationPublic.model_validate(a, from_attributes=True) for a in attestations],
        plan_warnings=plan.warnings(utcnow().date()),
    )


@router.get("", response_model=GrantPage, summary="Grants (a grantee sees its own organisation's only)")
def list_grants(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern=r"^(active|ended|terminated)$")] = None,
    level: Annotated[str | None, Query(pattern=r"^(low|medium|high|very_high)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> GrantPage:
    query = select(GrantAward)
    if not principal.has_any(*service.STAFF):
        if principal.organisation_id is None or not principal.has_any("applicant"):
            raise ProblemError(403, "forbidden", "Only staff and grantee organisations' users can list grants.")
        query = query.where(GrantAward.organisation_id == principal.organisation_id)
    if status:
        query = query.where(GrantAward.status == status)
    if level:
        query = query.where(GrantAward.level == level)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(GrantAward.signed_at).desc(), col(GrantAward.reference)).limit(limit).offset(offset)
    )
    return GrantPage(items=[_public(g) for g in rows], total=total, limit=limit, offset=offset)


@router.get("/{reference}", response_model=GrantDetail, summary="A grant with its obligations and attestations")
def get_grant(reference: str, request: Request, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _detail(session, service.get_grant(session, reference, principal), plan_of(request))


@router.post(
    "/{reference}/obligations/{measure_id}/evidence",
    response_model=ObligationPublic,
    summary="The grantee submits evidence for an obligation",
)
def submit_evidence(
    reference: str, measure_id: str, data: EvidenceCreate, principal: CurrentPrincipal, session: SessionDep
) -> Any:
    grant = service.get_grant(session, reference, principal)
    obligation = service.submit_evidence(
        session, grant, measure_id, principal, data.text, [str(a) for a in data.attachments]
    )
    session.commit()
    return ObligationPublic.model_validate(obligation, from_attributes=True)


@router.post(
    "/{reference}/obligations/{measure_id}/decision",
    response_model=ObligationPublic,
    summary="An officer accepts the evidence, sends it back, or waives the obligation",
)
def decide_obligation(
    reference: str, measure_id: str, data: ObligationDecisionCreate, principal: GrantOfficer, session: SessionDep
) -> Any:
    grant = service.get_grant(session, reference, principal)
    obligation = service.decide_obligation(session, grant, measure_id, principal, data.decision, data.note)
    session.commit()
    return ObligationPublic.model_validate(obligation, from_attributes=True)


@router.post(
    "/{reference}/attestations",
    response_model=AttestationPublic,
    status_code=201,
    summary="The grantee attests for a period: no change, or the changes",
)
def submit_attestation(
    reference: str, data: AttestationCreate, request: Request, principal: CurrentPrincipal, session: SessionDep
) -> Any:
    if data.no_change == bool(data.changes):
        raise ProblemError(
            422,
            "attestation-inconsistent",
            "Either declare no change, or list the changes (not both, not neither).",
            pointer="/changes",
        )
    grant = service.get_grant(session, reference, principal)
    attestation = service.submit_attestation(
        session,
        grant,
        principal,
        plan_of(request),
        period=data.period,
        changes=[c.value for c in data.changes],
        statement=data.statement,
        evidence=[str(e) for e in data.evidence],
    )
    session.commit()
    return AttestationPublic.model_validate(attestation, from_attributes=True)
