"""Monitoring's main consumer (group `rsc-monitoring`): awards become grants with their workflow,
the grant events monitoring itself publishes steer those workflows, and the reporting facts."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session, select

from rsc_common.events import EventEnvelope, database_only
from rsc_common.events.types import (
    GrantAttestationSubmitted,
    GrantAwarded,
    GrantEnded,
    GrantObligationUpdated,
    ProposalResubmitted,
    ProposalSubmitted,
)
from rsc_monitoring.facts import handlers as facts
from rsc_monitoring.gateway import MonitoringGateway
from rsc_monitoring.grants import service
from rsc_monitoring.grants.contracts import GrantWorkflowInput
from rsc_monitoring.grants.models import GrantAward
from rsc_monitoring.grants.plan import MonitoringPlan

GROUP_ID = "rsc-monitoring"


def grant_handlers(gateway: MonitoringGateway, plan: MonitoringPlan) -> dict[str, Callable]:
    def on_awarded(session: Session, envelope: EventEnvelope, data: GrantAwarded) -> None:
        facts.on_awarded(session, envelope, data)
        created = service.create_from_award(session, data, plan)
        if created is None:  # redelivered, maybe after a crash between the commit and the start
            grant = session.exec(select(GrantAward).where(GrantAward.reference == data.grant_reference)).one()
            if grant.status != "active":
                return
            workflow_input = GrantWorkflowInput(
                grant_id=grant.id,
                terms=service.current_terms(session, grant, plan),
                escalate_to_role=plan.escalate_to_role,
                fired=[],
            )
        else:
            workflow_input = created[1]
        session.commit()  # the grant exists before its workflow records anything for it
        gateway.start_grant(workflow_input)

    @database_only
    def on_submitted(session: Session, envelope: EventEnvelope, data: ProposalSubmitted | ProposalResubmitted) -> None:
        facts.on_submitted(session, envelope, data)
        service.attach_organisation(session, data.proposal_id, data.organisation_id)

    def on_obligation_updated(session: Session, _e: EventEnvelope, data: GrantObligationUpdated) -> None:
        if data.status in service.DONE_OBLIGATION:
            gateway.item_done(data.grant_reference, "obligation", data.measure_id)

    def on_attestation(session: Session, _e: EventEnvelope, data: GrantAttestationSubmitted) -> None:
        gateway.item_done(data.grant_reference, "attestation", str(data.period))

    def on_ended(session: Session, _e: EventEnvelope, data: GrantEnded) -> None:
        if data.reason == "terminated":
            gateway.end_grant(data.grant_reference, data.reason, data.at)

    return {
        **facts.fact_handlers(),
        "grant.awarded": on_awarded,
        "proposal.submitted": on_submitted,
        "proposal.resubmitted": on_submitted,
        "grant.obligation_updated": on_obligation_updated,
        "grant.attestation_submitted": on_attestation,
        "grant.ended": on_ended,
    }
