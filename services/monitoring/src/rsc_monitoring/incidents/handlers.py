"""Incident events steer the incident workflows (group `rsc-monitoring`); a list hit on a funded partner
found by appraisal's re-screening becomes an incident."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, col, select

from rsc_common.contracts.incidents import Severity
from rsc_common.events import EventEnvelope
from rsc_common.events.types import IncidentChanged, IncidentMeasureUpdated, IncidentReported, ScreeningHitFound
from rsc_monitoring.gateway import MonitoringGateway
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.incidents import service
from rsc_monitoring.incidents.machine import Channel
from rsc_monitoring.incidents.policy import default_policy
from rsc_monitoring.incidents.types import IncidentType


def on_list_hit(session: Session, envelope: EventEnvelope, data: ScreeningHitFound) -> None:
    """Only funded proposals: a hit on an open one is the appraisal case's business."""
    if data.proposal_state != "funded":
        return
    grant = session.exec(
        select(GrantAward)
        .where(GrantAward.proposal_id == data.proposal_id, GrantAward.status == "active")
        .order_by(col(GrantAward.signed_at).desc())
    ).first()
    if grant is None:
        return
    service.report(
        session,
        default_policy(),
        channel=Channel.list_hit,
        incident_type=IncidentType.list_hit_on_partner,
        severity=Severity.high,
        title=f"List hit on partner {data.organisation_name}",
        description=(
            f"Re-screening after list {data.list_key} {data.list_version} matched partner "
            f"{data.organisation_name} ({data.query_ref}) to entry {data.entry_id} ({data.entry_caption}), "
            f"score {data.score:.2f}. Screening {data.screening_id}."
        ),
        grant=grant,
        reporter_subject=None,
    )


def incident_handlers(gateway: MonitoringGateway) -> dict[str, Callable]:
    def on_reported(_session: Session, _e: EventEnvelope, data: IncidentReported) -> None:
        gateway.start_incident(data.incident_id)

    def on_changed(_session: Session, _e: EventEnvelope, data: IncidentChanged | IncidentMeasureUpdated) -> None:
        gateway.incident_changed(data.incident_id)

    return {
        "appraisal.new_list_hit": on_list_hit,
        "incident.reported": on_reported,
        "incident.changed": on_changed,
        "incident.measure_updated": on_changed,
    }
