"""Builders for grant tests: an award as appraisal publishes it, and the reporting facts before it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from rsc_common.events.types import GrantAwarded, SafeguardMeasureTerms


def award(
    signed_at: datetime,
    *,
    level: str = "high",
    reference: str | None = None,
    proposal_id: uuid.UUID | None = None,
    obligations: dict[str, timedelta] | None = None,
) -> GrantAwarded:
    obligations = {"SG-TRAINING": timedelta(days=60)} if obligations is None else obligations
    return GrantAwarded(
        case_id=uuid.uuid4(),
        proposal_id=proposal_id or uuid.uuid4(),
        version=1,
        grant_reference=reference or f"G-{uuid.uuid4().hex[:8]}",
        signed_at=signed_at,
        level=level,
        auto_cleared=False,
        obligations=[
            SafeguardMeasureTerms(
                measure_id=measure_id,
                title=f"{measure_id} title",
                owner="coordinator",
                due_at=signed_at + after,
                evidence_required="a signed statement",
                status="verified",
            )
            for measure_id, after in obligations.items()
        ],
        awarded_by="officer-subject",
    )


ORG_A = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")  # applicant-a's organisation (demo realm)
ORG_B = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a02")  # applicant-b's
