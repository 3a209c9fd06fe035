"""Incidents API: reporting (grantees, officers, the confidential tip channel), triage, investigation,
measures and closure with strict transitions, need-to-know evidence. Deadlines and escalations are the
incident workflow's, started and woken by monitoring's consumer from the events written here."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlmodel import Session, col, func, or_, select

from rsc_common.auth import CurrentPrincipal, OptionalPrincipal, Principal, Role
from rsc_common.contracts.incidents import Severity, Status
from rsc_common.db.types import utcnow
from rsc_common.http import SessionDep
from rsc_common.http.problem import ProblemError
from rsc_monitoring.grants import service as grants
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.incidents import service, tips
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.models import Exercise, Incident, IncidentChange, IncidentEvidence, IncidentMeasure
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.incidents.schemas import (
    AssigneesUpdate,
    ChangePublic,
    ClosureCreate,
    DismissalCreate,
    EvidenceCreate,
    EvidencePublic,
    IncidentCreate,
    IncidentDetail,
    IncidentPage,
    IncidentPublic,
    MeasurePublic,
    MeasuresCreate,
    MeasureStatusCreate,
    NoteCreate,
    TipCreate,
    TipReceipt,
    TriageCreate,
)
from rsc_monitoring.incidents.types import DESCRIPTIONS, IncidentType

router = APIRouter(prefix="/v1", tags=["incidents"])


class IncidentTypePublic(BaseModel):
    code: IncidentType
    description: str


@router.get("/incident-types", response_model=list[IncidentTypePublic], summary="Incident types that can be reported")
def incident_types(_: CurrentPrincipal) -> list[IncidentTypePublic]:
    return [IncidentTypePublic(code=code, description=DESCRIPTIONS[code]) for code in IncidentType]


def _public(incident: Incident) -> IncidentPublic:
    return IncidentPublic.model_validate(
        {**incident.model_dump(), "exercise": incident.exercise_id is not None}, from_attributes=False
    )


def _detail(session: Session, principal: Principal, incident: Incident, *, audit_read: bool = False) -> IncidentDetail:
    measures = session.exec(
        select(IncidentMeasure)
        .where(IncidentMeasure.incident_id == incident.id)
        .order_by(col(IncidentMeasure.decided_at))
    ).all()
    changes = session.exec(
        select(IncidentChange).where(IncidentChange.incident_id == incident.id).order_by(col(IncidentChange.seq))
    ).all()
    readable = service.evidence_for(session, principal, incident)
    if audit_read and readable and service.may_read_evidence(principal, incident):
        service.audit_evidence_read(session, incident, principal, len(readable))
    total = session.exec(
        select(func.count()).select_from(IncidentEvidence).where(IncidentEvidence.incident_id == incident.id)
    ).one()
    return IncidentDetail(
        **_public(incident).model_dump(),
        occurred_at=incident.occurred_at,
        lessons_learned=incident.lessons_learned,
        measures=[MeasurePublic.model_validate(m, from_attributes=True) for m in measures],
        timeline=[ChangePublic.model_validate(c, from_attributes=True) for c in changes],
        evidence=[EvidencePublic.model_validate(e, from_attributes=True) for e in readable],
        evidence_withheld=total - len(readable),
        policy_warnings=default_policy().warnings(utcnow().date()),
    )


def _grant_for(session: Session, reference: str | None, principal: Principal | None) -> GrantAward | None:
    if reference is None:
        return None
    grant = session.exec(select(GrantAward).where(GrantAward.reference == reference)).first()
    if grant is None or (principal is not None and not grants.may_read(principal, grant)):
        raise ProblemError(
            422, "unknown-grant", f"There is no grant {reference} you may report on.", pointer="/grant_reference"
        )
    return grant


@router.post("/incidents", response_model=IncidentDetail, status_code=201, summary="Report an incident")
def report_incident(data: IncidentCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    if principal.has_any(*service.OFFICERS):
        channel = Channel.officer
    elif principal.has_any(Role.applicant) and principal.organisation_id is not None:
        channel = Channel.grantee
        if data.grant_reference is None:
            raise ProblemError(
                422, "grant-required", "A grantee reports on one of its grants.", pointer="/grant_reference"
            )
    else:
        raise ProblemError(403, "forbidden", "Grantees and funder staff report incidents; others use the tip channel.")
    grant = _grant_for(session, data.grant_reference, principal)
    incident = service.report(
        session,
        default_policy(),
        channel=channel,
        incident_type=data.type,
        severity=data.severity,
        title=data.title,
        description=data.description,
        grant=grant,
        reporter_subject=principal.subject,
        occurred_at=data.occurred_at,
        attachments=[str(a) for a in data.attachments],
    )
    session.commit()
    return _detail(session, principal, incident)


@router.post(
    "/tips",
    response_model=TipReceipt,
    status_code=202,
    summary="Confidential tip channel (no sign-in needed; no identity stored unless you give one)",
)
async def submit_tip(request: Request, principal: OptionalPrincipal, session: SessionDep) -> Any:
    if principal is not None and principal.has_any(Role.auditor):
        raise ProblemError(403, "read-only", "Auditors are read-only everywhere, the tip channel included.")
    settings = request.app.state.settings
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > settings.tip_max_bytes:
        raise ProblemError(413, "tip-too-large", f"A tip is at most {settings.tip_max_bytes} bytes.")
    raw = await request.body()
    if len(raw) > settings.tip_max_bytes:
        raise ProblemError(413, "tip-too-large", f"A tip is at most {settings.tip_max_bytes} bytes.")
    try:
        data = TipCreate.model_validate_json(raw)
    except ValueError as exc:
        errors = getattr(exc, "errors", lambda: [])()
        raise ProblemError(
            422,
            "invalid-tip",
            "The tip is not valid: " + "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5]),
        ) from None
    if data.identify and principal is None:
        raise ProblemError(422, "identify-needs-sign-in", "Sign in to attach your identity, or leave `identify` off.")
    return await run_in_threadpool(_accept_tip, session, request, settings, principal, data)


def _accept_tip(
    session: Session, request: Request, settings, principal: Principal | None, data: TipCreate
) -> TipReceipt:
    now = utcnow()
    source = request.client.host if request.client else "unknown"
    tips.admit(session, default_policy(), secret=settings.tip_rate_secret.get_secret_value(), source=source, now=now)
    grant = None
    if data.grant_reference:
        grant = session.exec(select(GrantAward).where(GrantAward.reference == data.grant_reference)).first()
    incident = service.report(
        session,
        default_policy(),
        channel=Channel.tip,
        incident_type=data.type,
        severity=Severity.medium,
        title=data.title,
        description=data.description,
        grant=grant,  # an unknown reference is kept in the description only: a tipster may not know it
        reporter_subject=principal.subject if (data.identify and principal) else None,
        reporter_contact=data.contact,
        now=now,
    )
    session.commit()
    stored = incident.reporter_subject is not None or incident.reporter_contact is not None
    return TipReceipt(reference=incident.reference, received_at=now, stored_identity=stored)


@router.get("/incidents", response_model=IncidentPage, summary="Incidents you may see")
def list_incidents(
    principal: CurrentPrincipal,
    session: SessionDep,
    status: Status | None = None,
    type: IncidentType | None = None,
    severity: Severity | None = None,
    grant_reference: Annotated[str | None, Query(max_length=100)] = None,
    exercise: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> IncidentPage:
    query = select(Incident)
    participations = select(Exercise.id).where(col(Exercise.participants).contains([principal.subject]))
    visible_exercises = col(Incident.exercise_id).in_(participations)
    if principal.has_any(Role.admin):
        pass
    elif principal.has_any(*service.READERS):
        query = query.where(or_(col(Incident.exercise_id).is_(None), visible_exercises))
    elif principal.has_any(Role.applicant) and principal.organisation_id is not None:
        query = query.where(
            Incident.organisation_id == principal.organisation_id,
            Incident.channel == Channel.grantee,
            col(Incident.exercise_id).is_(None),
        )
    else:
        raise ProblemError(403, "forbidden", "Only staff and grantees list incidents.")
    for column, value in (
        (Incident.status, status),
        (Incident.type, type),
        (Incident.severity, severity),
        (Incident.grant_reference, grant_reference),
    ):
        if value is not None:
            query = query.where(column == value)
    if exercise is not None:
        query = query.where(col(Incident.exercise_id).is_not(None) if exercise else col(Incident.exercise_id).is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Incident.reported_at).desc(), col(Incident.reference)).limit(limit).offset(offset)
    ).all()
    return IncidentPage(items=[_public(i) for i in rows], total=total, limit=limit, offset=offset)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail, summary="An incident (evidence on need-to-know)")
def get_incident(incident_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _detail(session, principal, service.get_incident(session, incident_id, principal), audit_read=True)


def _act(session: Session, principal: Principal, incident_id: uuid.UUID, fn) -> IncidentDetail:
    incident = service.get_incident(session, incident_id, principal)
    fn(incident)
    session.commit()
    return _detail(session, principal, incident)


@router.post("/incidents/{incident_id}/triage", response_model=IncidentDetail, summary="Triage: severity, assignees")
def triage(incident_id: uuid.UUID, data: TriageCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _act(
        session,
        principal,
        incident_id,
        lambda i: service.triage(
            session, default_policy(), i, principal, severity=data.severity, assignees=data.assignees, note=data.note
        ),
    )


@router.post("/incidents/{incident_id}/investigation", response_model=IncidentDetail, summary="Start investigating")
def investigate(incident_id: uuid.UUID, data: NoteCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _act(session, principal, incident_id, lambda i: service.investigate(session, i, principal, data.note))


@router.post("/incidents/{incident_id}/dismissal", response_model=IncidentDetail, summary="Dismiss at triage")
def dismiss(incident_id: uuid.UUID, data: DismissalCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _act(session, principal, incident_id, lambda i: service.dismiss(session, i, principal, data.reason))


@router.post("/incidents/{incident_id}/measures", response_model=IncidentDetail, summary="Decide measures")
def decide_measures(
    incident_id: uuid.UUID, data: MeasuresCreate, principal: CurrentPrincipal, session: SessionDep
) -> Any:
    measures = [m.model_dump() for m in data.measures]
    return _act(
        session,
        principal,
        incident_id,
        lambda i: service.decide_measures(session, default_policy(), i, principal, measures, data.note),
    )


@router.post(
    "/incidents/{incident_id}/measures/{measure_id}/status",
    response_model=IncidentDetail,
    summary="Start, complete or cancel a measure",
)
def update_measure(
    incident_id: uuid.UUID,
    measure_id: uuid.UUID,
    data: MeasureStatusCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> Any:
    return _act(
        session,
        principal,
        incident_id,
        lambda i: service.update_measure(session, i, measure_id, principal, data.status, data.note),
    )


@router.post(
    "/incidents/{incident_id}/closure", response_model=IncidentDetail, summary="Close with outcome and lessons"
)
def close(incident_id: uuid.UUID, data: ClosureCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _act(
        session,
        principal,
        incident_id,
        lambda i: service.close(session, i, principal, data.outcome, data.lessons_learned),
    )


@router.post("/incidents/{incident_id}/evidence", response_model=IncidentDetail, summary="Add a note or evidence")
def add_evidence(incident_id: uuid.UUID, data: EvidenceCreate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    attachments = [str(a) for a in data.attachments]
    return _act(
        session,
        principal,
        incident_id,
        lambda i: service.add_evidence(session, i, principal, data.kind, data.body, attachments),
    )


@router.put("/incidents/{incident_id}/assignees", response_model=IncidentDetail, summary="Assign people")
def assign(incident_id: uuid.UUID, data: AssigneesUpdate, principal: CurrentPrincipal, session: SessionDep) -> Any:
    return _act(session, principal, incident_id, lambda i: service.assign(session, i, principal, data.assignees))
