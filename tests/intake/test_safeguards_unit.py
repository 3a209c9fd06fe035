"""Which response a safeguard measure takes, when the safeguards are closed, which report applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from rsc_common.http import ProblemError
from rsc_intake.proposals.models import ProposalStatus
from rsc_intake.safeguards import rules
from rsc_intake.safeguards.models import MeasureStatus, ResponseKind
from rsc_intake.safeguards.schemas import SafeguardResponseCreate

M, K = MeasureStatus, ResponseKind

# The table from the contract: accept only from proposed; request_change from proposed or accepted;
# submit_evidence from proposed, accepted or evidence_submitted.
EXPECTED = {
    (K.accept, M.proposed): M.accepted,
    (K.request_change, M.proposed): M.change_requested,
    (K.request_change, M.accepted): M.change_requested,
    (K.submit_evidence, M.proposed): M.evidence_submitted,
    (K.submit_evidence, M.accepted): M.evidence_submitted,
    (K.submit_evidence, M.evidence_submitted): M.evidence_submitted,
}


@pytest.mark.parametrize("kind", list(K))
@pytest.mark.parametrize("status", [*M, "something_new"])
def test_every_kind_from_every_status(kind: ResponseKind, status: str) -> None:
    if (kind, status) in EXPECTED:
        assert rules.check_response(kind, status, "training") == EXPECTED[(kind, status)]
        assert kind in rules.allowed_kinds(status)
    else:
        with pytest.raises(ProblemError) as refused:
            rules.check_response(kind, status, "training")
        assert (refused.value.status, refused.value.slug) == (409, "safeguard-response-not-allowed")
        assert refused.value.extra["measure_status"] == status
        assert kind not in rules.allowed_kinds(status)


def test_allowed_kinds_per_status() -> None:
    assert rules.allowed_kinds(M.proposed) == [K.accept, K.request_change, K.submit_evidence]
    assert rules.allowed_kinds(M.accepted) == [K.request_change, K.submit_evidence]
    assert rules.allowed_kinds(M.evidence_submitted) == [K.submit_evidence]
    assert rules.allowed_kinds(M.change_requested) == []
    assert rules.allowed_kinds(M.verified) == []


@pytest.mark.parametrize(
    ("agreed", "status", "version", "current", "slug"),
    [
        (False, ProposalStatus.under_appraisal, 1, 1, None),
        (False, ProposalStatus.information_requested, 2, 2, None),
        (True, ProposalStatus.under_appraisal, 1, 1, "safeguards-agreed"),
        (True, ProposalStatus.decided, 1, 1, "safeguards-agreed"),
        (False, ProposalStatus.decided, 1, 1, "safeguards-closed"),
        (False, ProposalStatus.withdrawn, 1, 1, "safeguards-closed"),
        (False, ProposalStatus.submitted, 1, 2, "safeguards-closed"),
    ],
)
def test_closed(agreed: bool, status: ProposalStatus, version: int, current: int, slug: str | None) -> None:
    problem = rules.closed_problem(agreed=agreed, proposal_status=status, version=version, current_version=current)
    assert (problem.slug if problem else None) == slug
    assert rules.is_open(agreed=agreed, proposal_status=status, version=version, current_version=current) == (
        slug is None
    )
    if problem is not None:
        assert problem.status == 409


def test_an_older_report_never_applies_over_a_newer_one() -> None:
    t = datetime(2027, 3, 1, tzinfo=UTC)
    assert rules.report_applies(t, t)  # the same report again, or one of the same instant
    assert rules.report_applies(t + timedelta(seconds=1), t)
    assert not rules.report_applies(t - timedelta(microseconds=1), t)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "accept", "text": ""},
        {"kind": "accept", "text": "   "},
        {"kind": "accept", "text": "x" * 10_001},
        {"kind": "accept", "text": "nul \x00"},
        {"kind": "approve", "text": "yes"},
        {"kind": "accept"},
        {"kind": "accept", "text": "yes", "evidence": ["not-a-uuid"]},
        {"kind": "accept", "text": "yes", "status": "verified"},
    ],
)
def test_bad_bodies(body: dict) -> None:
    with pytest.raises(ValidationError):
        SafeguardResponseCreate.model_validate(body)


def test_text_is_stripped_and_nfc() -> None:
    body = SafeguardResponseCreate.model_validate({"kind": "accept", "text": "  Zoe\u0308 agrees  "})
    assert body.text == "Zoë agrees"
    assert body.evidence == []
    assert len(SafeguardResponseCreate.model_validate({"kind": "accept", "text": "x" * 10_000}).text) == 10_000
