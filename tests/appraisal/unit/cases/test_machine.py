"""The case machine without Temporal: checks refuse before anything changes; accepted actions produce
audited changes with the right events; four-eyes; safeguard agreement; need-to-know in events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from rsc_appraisal.cases.contracts import (
    ApplicantResponseKind,
    ApplicantSafeguardResponse,
    AppraisalRequest,
    Assignment,
    AssignRequest,
    AwardRequest,
    ClaimRequest,
    CloseSignal,
    DecisionOutcome,
    DecisionRequest,
    FactorAssessment,
    InformationProvided,
    InformationRequestRequest,
    NoteRequest,
    ReassignRequest,
    ReferralAnswer,
    ReferralRequest,
    ReviewRequest,
    ReviseMeasureRequest,
    VerifyMeasureRequest,
)
from rsc_appraisal.cases.machine import CaseMachine, CaseRequestError
from rsc_appraisal.cases.states import Action, CaseStatus
from tests.appraisal.unit.cases.support import ADVISER, OFFICER, OFFICER_2, catalogue_ids, measure, screened

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def opened(level: str = "high") -> CaseMachine:
    machine = CaseMachine("wf-1", screened(level), uuid.uuid4(), 1)
    machine.open(NOW)
    return machine


def reviewed(level: str = "high") -> CaseMachine:
    machine = opened(level)
    machine.claim(ClaimRequest(OFFICER, "case_officer"), NOW)
    if level in ("high", "very_high"):
        machine.claim(ClaimRequest(ADVISER, "security_adviser"), NOW)
        machine.record_appraisal(
            AppraisalRequest(OFFICER, [FactorAssessment("partner_organisation", level, "listed owner")], "s"), NOW
        )
    return machine


def test_refused_requests_change_nothing() -> None:
    machine = opened()
    before = (machine.snapshot(), machine.seq)
    for attempt in (
        lambda: machine.claim(ClaimRequest(OFFICER, "security_adviser"), NOW),  # role not held
        lambda: machine.decide(DecisionRequest(OFFICER, DecisionOutcome.cleared, "reason enough"), NOW),  # not assigned
        lambda: machine.request_information(InformationRequestRequest(OFFICER, uuid.uuid4(), "?", NOW), NOW),
        lambda: machine.award(AwardRequest(OFFICER, "G", NOW), NOW),
    ):
        with pytest.raises(CaseRequestError):
            attempt()
    assert (machine.snapshot(), machine.seq) == before


def test_each_change_is_keyed_sequenced_and_audited() -> None:
    machine = CaseMachine("wf-9", screened("medium"), uuid.uuid4(), 1)
    opened_change = machine.open(NOW)
    claimed = machine.claim(ClaimRequest(OFFICER, "case_officer"), NOW)
    assert (opened_change.key, claimed.key) == ("wf-9#1", "wf-9#2")
    assert claimed.before["assignees"] == []
    assert claimed.after["assignees"] == [{"subject": OFFICER.subject, "role": "case_officer"}]
    assert (claimed.from_status, claimed.to_status) == (CaseStatus.open, CaseStatus.in_review)
    assert claimed.events[0].type == "appraisal.case_changed"
    assert claimed.events[0].data["seq"] == 2


def test_notes_never_reach_events_or_the_audit_details() -> None:
    machine = reviewed("medium")
    change = machine.add_note(NoteRequest(OFFICER, "confidential: partner under investigation", uuid.uuid4()), NOW)
    assert change.note_body == "confidential: partner under investigation"
    assert "confidential" not in str(change.details) + str([e.data for e in change.events])
    with pytest.raises(CaseRequestError, match="notes are for"):
        machine.check_note(NoteRequest(OFFICER_2, "x", uuid.uuid4()))
    machine.check_note(NoteRequest(ADVISER, "advisers may add notes", uuid.uuid4()))


def test_information_request_round_trip() -> None:
    machine = reviewed("medium")
    request_id = uuid.uuid4()
    change = machine.request_information(
        InformationRequestRequest(OFFICER, request_id, "Ownership?", NOW + timedelta(days=5)), NOW
    )
    assert change.to_status is CaseStatus.awaiting_applicant
    assert change.events[-1].type == "appraisal.information_requested"
    assert machine.information_provided(InformationProvided(uuid.uuid4(), NOW, "applicant-a"), NOW) is None
    answered = machine.information_provided(InformationProvided(request_id, NOW, "applicant-a"), NOW)
    assert answered is not None
    assert answered.to_status is CaseStatus.in_review
    assert answered.actor.roles == ("applicant",)


def test_medium_decision_takes_effect_at_once_and_high_needs_a_second_person() -> None:
    medium = reviewed("medium")
    change = medium.decide(DecisionRequest(OFFICER, DecisionOutcome.cleared, "No concern after review."), NOW)
    assert change.to_status is CaseStatus.cleared
    assert [e.type for e in change.events] == [
        "appraisal.case_changed",
        "appraisal.decided",
        "appraisal.cleared",
        "appraisal.status_changed",
    ]

    high = reviewed("high")
    proposed = high.decide(DecisionRequest(OFFICER, DecisionOutcome.cleared, "No concern after review."), NOW)
    assert proposed.to_status is CaseStatus.awaiting_second_review
    assert [e.type for e in proposed.events] == ["appraisal.case_changed"]
    with pytest.raises(CaseRequestError, match="second, different person"):
        high.check_confirm(ReviewRequest(OFFICER))
    returned = high.return_decision(ReviewRequest(ADVISER, "Check the ownership chain first."), NOW)
    assert returned.to_status is CaseStatus.in_review
    high.decide(DecisionRequest(OFFICER, DecisionOutcome.cleared, "Ownership chain checked."), NOW)
    confirmed = high.confirm_decision(ReviewRequest(ADVISER), NOW)
    assert confirmed.to_status is CaseStatus.cleared
    decided = next(e for e in confirmed.events if e.type == "appraisal.decided")
    assert decided.data["decided_by"] == [OFFICER.subject, ADVISER.subject]


def test_two_officers_without_an_adviser_cannot_clear_a_high_case() -> None:
    machine = opened("high")
    machine.claim(ClaimRequest(OFFICER, "case_officer"), NOW)
    machine.assign(AssignRequest(OFFICER, Assignment("officer-2", "security_adviser")), NOW)
    machine.record_appraisal(AppraisalRequest(OFFICER, [FactorAssessment("third_country", "high", "r")], "s"), NOW)
    machine.decide(DecisionRequest(OFFICER, DecisionOutcome.cleared, "Looks fine to me."), NOW)
    with pytest.raises(CaseRequestError, match="do not hold that role"):
        machine.check_confirm(ReviewRequest(OFFICER_2))


def test_appraisal_factors_are_checked() -> None:
    machine = reviewed("medium")
    for factors, message in (
        ([FactorAssessment("nationality", "high", "r")], "unknown factor category"),
        ([FactorAssessment("third_country", "severe", "r")], "unknown level"),
        ([FactorAssessment("third_country", "high", "r")] * 2, "appears twice"),
        ([FactorAssessment("third_country", "high", " ")], "rationale"),
    ):
        with pytest.raises(CaseRequestError, match=message):
            machine.check_record_appraisal(AppraisalRequest(OFFICER, factors, "summary"))


def test_decision_rules() -> None:
    machine = reviewed("high")
    mid = catalogue_ids()[0]
    cases = [
        (DecisionRequest(OFFICER, DecisionOutcome.cleared, "too short"), "at least 10"),
        (DecisionRequest(OFFICER, DecisionOutcome.not_fundable, "Export licence refused."), "appeal path"),
        (DecisionRequest(OFFICER, DecisionOutcome.cleared_with_safeguards, "With measures please."), "at least one"),
        (
            DecisionRequest(OFFICER, DecisionOutcome.cleared_with_safeguards, "With measures please.",
                            measures=[measure("no-such-measure", NOW)]),
            "not in the safeguard catalogue",
        ),
        (
            DecisionRequest(OFFICER, DecisionOutcome.cleared, "No concern after review.", measures=[measure(mid, NOW)]),
            "measures belong to",
        ),
        (
            DecisionRequest(OFFICER, DecisionOutcome.cleared_with_safeguards, "With measures please.",
                            measures=[measure(mid, NOW - timedelta(days=40))]),
            "must be in the future",
        ),
    ]  # fmt: skip
    for request, message in cases:
        with pytest.raises(CaseRequestError, match=message):
            machine.check_decide(request, NOW)


def test_safeguard_agreement_and_award_make_obligations() -> None:
    machine = reviewed("medium")
    first, second = catalogue_ids()[:2]
    change = machine.decide(
        DecisionRequest(OFFICER, DecisionOutcome.cleared_with_safeguards, "Manageable with two measures.",
                        measures=[measure(first, NOW), measure(second, NOW)]),
        NOW,
    )  # fmt: skip
    assert change.to_status is CaseStatus.safeguards_pending
    assert "safeguards.proposed" in [e.type for e in change.events]

    def respond(mid: str, kind: ApplicantResponseKind):
        return machine.applicant_response(ApplicantSafeguardResponse(mid, kind, "text", "applicant-a", NOW), NOW)

    respond(first, ApplicantResponseKind.accept)
    with pytest.raises(CaseRequestError, match="cannot accept"):
        respond(first, ApplicantResponseKind.accept)
    respond(second, ApplicantResponseKind.request_change)
    with pytest.raises(CaseRequestError, match="has to accept it"):
        machine.check_verify(VerifyMeasureRequest(OFFICER, second, "n"))
    machine.revise_measure(ReviseMeasureRequest(OFFICER, second, "extended deadline", due_at=NOW + timedelta(60)), NOW)
    respond(second, ApplicantResponseKind.submit_evidence)
    assert (
        machine.verify_measure(VerifyMeasureRequest(OFFICER, first, "ok"), NOW).to_status
        is CaseStatus.safeguards_pending
    )
    done = machine.verify_measure(VerifyMeasureRequest(OFFICER, second, "evidence checked"), NOW)
    assert done.to_status is CaseStatus.cleared
    assert [e.type for e in done.events][-3:] == ["safeguards.agreed", "appraisal.cleared", "appraisal.status_changed"]
    awarded = machine.award(AwardRequest(OFFICER, "GA-1", NOW), NOW)
    obligations = awarded.events[-1].data["obligations"]
    assert [o["measure_id"] for o in obligations] == [first, second]
    assert all(o["status"] == "verified" for o in obligations)


def test_referral_only_where_routing_allows_and_by_the_adviser() -> None:
    high = reviewed("high")
    with pytest.raises(CaseRequestError, match="not referred upward"):
        high.check_refer(ReferralRequest(ADVISER, "export-control authority", "Licence question on lasers."))
    very_high = reviewed("very_high")
    with pytest.raises(CaseRequestError, match="security adviser of the case"):
        very_high.check_refer(ReferralRequest(OFFICER, "export-control authority", "Licence question on lasers."))
    referred = very_high.refer(ReferralRequest(ADVISER, "export-control authority", "Licence question on lasers."), NOW)
    assert referred.to_status is CaseStatus.awaiting_referral
    answered = very_high.referral_answered(ReferralAnswer(ADVISER, "No licence needed."), NOW)
    assert answered.to_status is CaseStatus.in_review


def test_reassignment_keeps_the_role_and_four_eyes() -> None:
    machine = reviewed("high")
    with pytest.raises(CaseRequestError, match="takes over the role case_officer"):
        machine.check_reassign(ReassignRequest(ADVISER, OFFICER.subject, Assignment("x", "security_adviser"), "leave"))
    machine.reassign(ReassignRequest(ADVISER, OFFICER.subject, Assignment("officer-2", "case_officer"), "leave"), NOW)
    assert [a.subject for a in machine.assignees] == ["officer-2", ADVISER.subject]


def test_withdrawal_closes_once() -> None:
    machine = reviewed("medium")
    closed = machine.close(Action.withdraw, CloseSignal("withdrawn", NOW), NOW)
    assert closed is not None
    assert closed.to_status is CaseStatus.withdrawn
    assert machine.close(Action.supersede, CloseSignal("v2", NOW), NOW) is None
