"""Kafka events that start and steer the appraisal workflows.

Submissions are handled a run at a time (a batch handler, idempotent by itself): the run's snapshots
are committed in one transaction *before* the workflows start, so each screen activity finds its
snapshot at once; then the run's workflows are started concurrently. Handled one by one, a
submission waited on its own Temporal start, a partition served about five a second under load and
the deadline burst queued for seconds in Kafka. A crash anywhere hands the run over again: the
snapshot upsert changes nothing and a start is a no-op (the workflow id is derived from proposal and
version). The other events run inside the consumer's transaction, one by one.
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
from rsc_common.events import BatchHandler, EventEnvelope
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


def submission_handlers(gateway: AppraisalGateway) -> dict[str, BatchHandler]:
    def on_submitted(session: Session, events: list[tuple[EventEnvelope, ProposalSubmitted | ProposalResubmitted]]):
        for _envelope, data in events:
            screenings.record_snapshot(session, data)
        session.commit()
        gateway.start_many([(data.proposal_id, data.version) for _envelope, data in events])
        for _envelope, data in events:
            if data.version > 1:  # the previous version's case is superseded (its clock stops as superseded)
                gateway.supersede(data.proposal_id, data.version - 1, f"superseded by version {data.version}")

    return {"proposal.submitted": on_submitted, "proposal.resubmitted": on_submitted}


def case_handlers(gateway: AppraisalGateway) -> dict[str, Callable]:
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
        "proposal.withdrawn": on_withdrawn,
        "proposal.information_provided": on_information_provided,
        "proposal.safeguard_response": on_safeguard_response,
    }
