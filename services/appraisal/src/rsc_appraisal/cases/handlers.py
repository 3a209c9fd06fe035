"""Kafka events that start and steer the appraisal workflows (run inside the consumer's transaction).

The workflow is started before the transaction commits: if the commit fails, the event is handled
again and the start is a no-op (the workflow id is derived from proposal and version). The screen
activity retries until the snapshot written here is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import Session, col, select

from rsc_appraisal.cases.client import AppraisalGateway
from rsc_appraisal.cases.contracts import ApplicantResponseKind, ApplicantSafeguardResponse, InformationProvided
from rsc_appraisal.cases.models import AppraisalCase
from rsc_appraisal.screenings import service as screenings
from rsc_appraisal.screenings.handlers import on_proposal_withdrawn as mark_withdrawn
from rsc_common.events import EventEnvelope
from rsc_common.events.types import (
    ProposalInformationProvided,
    ProposalResubmitted,
    ProposalSafeguardResponse,
    ProposalSubmitted,
    ProposalWithdrawn,
)

log = logging.getLogger(__name__)


def _latest_case(session: Session, proposal_id) -> AppraisalCase | None:
    return session.exec(
        select(AppraisalCase)
        .where(AppraisalCase.proposal_id == proposal_id)
        .order_by(col(AppraisalCase.version).desc())
        .limit(1)
    ).first()


def case_handlers(gateway: AppraisalGateway) -> dict[str, Callable]:
    def on_submitted(session: Session, _envelope: EventEnvelope, data: ProposalSubmitted | ProposalResubmitted) -> None:
        screenings.record_snapshot(session, data)
        session.flush()
        gateway.start(data.proposal_id, data.version)
        if data.version > 1:  # the previous version's case is superseded (its clock stops as superseded)
            gateway.supersede(data.proposal_id, data.version - 1, f"superseded by version {data.version}")

    def on_withdrawn(session: Session, envelope: EventEnvelope, data: ProposalWithdrawn) -> None:
        mark_withdrawn(session, envelope, data)
        if data.last_version >= 1:
            gateway.withdraw(
                data.proposal_id, data.last_version, data.reason or "withdrawn by the applicant", data.withdrawn_at
            )

    def on_information_provided(session: Session, _envelope: EventEnvelope, data: ProposalInformationProvided) -> None:
        case = _latest_case(session, data.proposal_id)
        if case is None:
            log.warning("information provided for proposal %s without a case", data.proposal_id)
            return
        answer = InformationProvided(
            request_id=data.request_id, responded_at=data.responded_at, responded_by=data.responded_by
        )
        gateway.information_provided(data.proposal_id, case.version, answer)

    def on_safeguard_response(session: Session, _envelope: EventEnvelope, data: ProposalSafeguardResponse) -> None:
        response = ApplicantSafeguardResponse(
            measure_id=data.measure_id,
            kind=ApplicantResponseKind(data.kind),
            text=data.text,
            responded_by=data.responded_by,
            responded_at=data.responded_at,
            evidence=list(data.evidence),
        )
        gateway.safeguard_response(data.proposal_id, data.version, response)

    return {
        "proposal.submitted": on_submitted,
        "proposal.resubmitted": on_submitted,
        "proposal.withdrawn": on_withdrawn,
        "proposal.information_provided": on_information_provided,
        "proposal.safeguard_response": on_safeguard_response,
    }
