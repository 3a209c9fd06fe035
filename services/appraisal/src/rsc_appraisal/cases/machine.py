"""The case state machine: pure and deterministic, so the workflow can run it and tests can drive it
without Temporal. `check_<action>` raises `CaseRequestError` (the update validators call them: an
invalid request is refused before anything is written); `<action>` applies it and returns the
`CaseChange` to record (audit entry plus events). Every status change goes through the strict
(from, to) table of `states`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from rsc_appraisal.cases.contracts import (
    SYSTEM,
    Actor,
    ApplicantSafeguardResponse,
    AppraisalRequest,
    Assignment,
    AssignRequest,
    AwardRequest,
    CaseChange,
    CaseView,
    ClaimRequest,
    CloseSignal,
    DecisionOutcome,
    DecisionRequest,
    EventSpec,
    InformationProvided,
    InformationRequestRequest,
    Measure,
    MeasureStatus,
    NoteRequest,
    ProposedDecision,
    ReassignRequest,
    ReferralAnswer,
    ReferralRequest,
    ReviewRequest,
    ReviseMeasureRequest,
    ScreenOutcome,
    VerifyMeasureRequest,
)
from rsc_appraisal.cases.states import ACTIVE, FINAL, Action, CaseStatus, TransitionError, check_transition
from rsc_appraisal.engine.contracts import FactorCategory, RiskLevel
from rsc_common.contracts.safeguards import RESPONSE_ALLOWED_FROM, RESPONSE_LEADS_TO
from rsc_common.events.types import (
    ApplicantVisibleStatus,
    AppraisalCleared,
    AppraisalDecided,
    AppraisalInformationRequested,
    AppraisalStatusChanged,
    CaseChanged,
    GrantAwarded,
    SafeguardMeasureTerms,
    SafeguardMeasureUpdated,
    SafeguardsAgreed,
    SafeguardsProposed,
)

REVIEWERS = ("case_officer", "security_adviser")
SUPERVISORS = ("case_officer", "security_adviser", "admin")  # may assign and reassign
MAX_TEXT = 20_000
MIN_REASON = 10  # a decision or extension reason is a sentence, not "ok"

S = CaseStatus


class CaseRequestError(ValueError):
    """An officer request that the case refuses (wrong role, wrong state, missing reason...)."""


def _text(value: str | None, what: str, minimum: int = 1) -> str:
    text = (value or "").strip()
    if len(text) < minimum:
        raise CaseRequestError(f"{what} is required" + (f" (at least {minimum} characters)" if minimum > 1 else ""))
    if len(text) > MAX_TEXT:
        raise CaseRequestError(f"{what} is longer than {MAX_TEXT} characters")
    return text


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None:
        raise CaseRequestError(f"{what} needs a time zone")
    return value


class CaseMachine:
    def __init__(self, workflow_id: str, screened: ScreenOutcome, proposal_id: uuid.UUID, version: int) -> None:
        self.workflow_id = workflow_id
        self.screened = screened
        self.proposal_id = proposal_id
        self.version = version
        self.case_id = screened.case_id
        self.route = screened.route
        self.level = screened.level
        self.status = CaseStatus.screening
        self.auto_cleared = False
        self.assignees: list[Assignment] = []
        self.proposed: ProposedDecision | None = None
        self.decision: ProposedDecision | None = None
        self.decided_by: list[str] = []
        self.appraisal: AppraisalRequest | None = None
        self.open_request: uuid.UUID | None = None
        self.referral: ReferralRequest | None = None
        self.measures: dict[str, Measure] = {}
        self.catalogue = {m.id: m for m in screened.catalogue}
        self.seq = 0

    # ------------------------------------------------------------------------------ views

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def view(self) -> CaseView:
        return CaseView(
            case_id=self.case_id,
            status=self.status,
            level=self.level,
            assignees=list(self.assignees),
            proposed_decision=self.proposed,
            decision=self.decision,
            open_information_request=self.open_request,
            measures=list(self.measures.values()),
            seq=self.seq,
        )

    def snapshot(self) -> dict[str, Any]:
        """What the audit record keeps before and after each change."""
        return {
            "status": self.status.value,
            "level": self.level,
            "assignees": [{"subject": a.subject, "role": a.role} for a in self.assignees],
            "proposed_decision": _decision_view(self.proposed, [self.proposed.by]) if self.proposed else None,
            "decision": _decision_view(self.decision, self.decided_by) if self.decision else None,
            "appraisal_recorded": self.appraisal is not None,
            "open_information_request": str(self.open_request) if self.open_request else None,
            "referral": self.referral.authority if self.referral else None,
            "measures": {m.measure_id: m.status.value for m in self.measures.values()},
        }

    def _ids(self) -> dict[str, Any]:
        """What every event and change of the case carries."""
        return {"case_id": self.case_id, "proposal_id": self.proposal_id, "version": self.version}

    def assigned(self, subject: str) -> Assignment | None:
        return next((a for a in self.assignees if a.subject == subject), None)

    # ------------------------------------------------------------------------------ recording

    def _record(
        self,
        action: Action,
        actor: Actor,
        now: datetime,
        from_status: CaseStatus,
        before: dict[str, Any],
        summary: str,
        *,
        details: dict[str, Any] | None = None,
        events: list[EventSpec] | None = None,
        note_body: str | None = None,
    ) -> CaseChange:
        try:
            check_transition(from_status, self.status, action)
        except TransitionError as exc:  # a check let an illegal change through: a bug, never recorded
            raise AssertionError(str(exc)) from exc
        self.seq += 1
        changed = CaseChanged(
            **self._ids(),
            seq=self.seq,
            action=action.value,
            actor=actor.subject,
            from_status=from_status.value,
            to_status=self.status.value,
            level=self.level,
            summary=summary,
            assignees=sorted({a.subject for a in self.assignees}),
            at=now,
        )
        return CaseChange(
            **self._ids(),
            key=f"{self.workflow_id}#{self.seq}",
            seq=self.seq,
            action=action,
            actor=actor,
            at=now,
            from_status=from_status,
            to_status=self.status,
            summary=summary,
            before=before,
            after=self.snapshot(),
            details=details or {},
            events=[_spec(changed), *(events or [])],
            note_body=note_body,
        )

    def _applicant_status(self, status: ApplicantVisibleStatus, now: datetime) -> EventSpec:
        return _spec(
            AppraisalStatusChanged(proposal_id=self.proposal_id, version=self.version, status=status, changed_at=now)
        )

    # ------------------------------------------------------------------------------ start

    def auto_clear(self, now: datetime) -> CaseChange:
        before, from_status = self.snapshot(), self.status
        self.status, self.auto_cleared = S.cleared, True
        cleared = AppraisalCleared(
            **self._ids(),
            level=self.level,
            auto_cleared=True,
            decided_by=[],
            safeguards=[],
            cleared_at=now,
        )
        return self._record(
            Action.auto_clear,
            SYSTEM,
            now,
            from_status,
            before,
            f"cleared automatically: level {self.level}, no red flag",
            events=[_spec(cleared), self._applicant_status(ApplicantVisibleStatus.cleared, now)],
        )

    def open(self, now: datetime) -> CaseChange:
        before, from_status = self.snapshot(), self.status
        self.status = S.open
        summary = f"case opened at level {self.level} with {self.screened.flag_count} flag(s)"
        carried = [a for a in self.screened.carried_assignees if a.role in self.route.reviewers]
        if carried:  # a resubmission stays with the people who reviewed the previous version
            self.assignees = list(carried)
            self.status = S.in_review
            summary += "; assigned as the previous version: " + ", ".join(a.subject for a in carried)
        return self._record(
            Action.open,
            SYSTEM,
            now,
            from_status,
            before,
            summary,
            details={"route": asdict(self.route), "screening_id": str(self.screened.screening_id)},
            events=[self._applicant_status(ApplicantVisibleStatus.under_security_appraisal, now)],
        )

    # ------------------------------------------------------------------------------ checks

    def _require_working(self, *statuses: CaseStatus) -> None:
        allowed = statuses or tuple(ACTIVE)
        if self.status not in allowed:
            raise CaseRequestError(
                f"the case is {self.status.value}; this needs it to be " + " or ".join(s.value for s in allowed)
            )

    def _require_assigned(self, actor: Actor) -> Assignment:
        assignment = self.assigned(actor.subject)
        if assignment is None:
            raise CaseRequestError("only a reviewer assigned to the case may do this; claim it or ask for assignment")
        if not actor.has(assignment.role):
            raise CaseRequestError(f"you are assigned as {assignment.role} but do not hold that role")
        return assignment

    def _require_reviewer_role(self, role: str, actor: Actor | None = None) -> None:
        if role not in self.route.reviewers:
            raise CaseRequestError(
                f"a level-{self.level} case is reviewed by {', '.join(self.route.reviewers)}, not {role}"
            )
        if actor is not None and not actor.has(role):
            raise CaseRequestError(f"you do not hold the role {role}")

    def _slot_taken(self, role: str, subject: str) -> None:
        holder = next((a for a in self.assignees if a.role == role), None)
        if holder is not None and holder.subject != subject:
            raise CaseRequestError(f"the {role} of this case is {holder.subject}; use reassignment")
        if holder is not None:
            raise CaseRequestError(f"{subject} is already the {role} of this case")

    def check_claim(self, r: ClaimRequest) -> None:
        self._require_working()
        self._require_reviewer_role(r.role, r.actor)
        if self.assigned(r.actor.subject) is not None:
            raise CaseRequestError("you are already assigned to this case")
        self._slot_taken(r.role, r.actor.subject)

    def check_assign(self, r: AssignRequest) -> None:
        self._require_working()
        if not any(r.actor.has(role) for role in SUPERVISORS):
            raise CaseRequestError("assigning cases needs a case officer, security adviser or admin role")
        _text(r.assignee.subject, "the assignee")
        self._require_reviewer_role(r.assignee.role)
        if self.assigned(r.assignee.subject) is not None:
            raise CaseRequestError(f"{r.assignee.subject} is already assigned to this case")
        self._slot_taken(r.assignee.role, r.assignee.subject)

    def check_reassign(self, r: ReassignRequest) -> None:
        self._require_working()
        if not any(r.actor.has(role) for role in SUPERVISORS):
            raise CaseRequestError("reassigning cases needs a case officer, security adviser or admin role")
        _text(r.reason, "a reason")
        current = self.assigned(r.from_subject)
        if current is None:
            raise CaseRequestError(f"{r.from_subject} is not assigned to this case")
        if r.to.role != current.role:
            raise CaseRequestError(f"the new assignee takes over the role {current.role}, not {r.to.role}")
        _text(r.to.subject, "the new assignee")
        if self.assigned(r.to.subject) is not None:
            raise CaseRequestError(f"{r.to.subject} is already assigned to this case")
        if self.proposed is not None and self.proposed.by == r.to.subject:
            raise CaseRequestError("the proposer of the pending decision cannot also confirm it")

    def check_note(self, r: NoteRequest) -> None:
        if self.status == S.screening:
            raise CaseRequestError("the case is still being screened")
        if self.assigned(r.actor.subject) is None and not r.actor.has("security_adviser"):
            raise CaseRequestError("notes are for the reviewers assigned to the case and security advisers")
        _text(r.body, "the note")

    def check_request_information(self, r: InformationRequestRequest, now: datetime) -> None:
        self._require_working(S.in_review)
        self._require_assigned(r.actor)
        _text(r.message, "the message")
        if _aware(r.due_at, "the due date") <= now:
            raise CaseRequestError("the due date must be in the future")

    def check_record_appraisal(self, r: AppraisalRequest) -> None:
        self._require_working(S.in_review)
        self._require_assigned(r.actor)
        _text(r.summary, "a summary")
        if not r.factors:
            raise CaseRequestError("the appraisal needs at least one factor category")
        seen = set()
        for factor in r.factors:
            if factor.category not in FactorCategory.__members__:
                raise CaseRequestError(f"unknown factor category {factor.category!r}")
            if factor.category in seen:
                raise CaseRequestError(f"factor category {factor.category} appears twice")
            seen.add(factor.category)
            if factor.level not in RiskLevel.__members__:
                raise CaseRequestError(f"unknown level {factor.level!r} for {factor.category}")
            _text(factor.rationale, f"the rationale for {factor.category}")

    def check_decide(self, r: DecisionRequest, now: datetime) -> None:
        self._require_working(S.in_review)
        self._require_assigned(r.actor)
        _text(r.reason, "a reason", MIN_REASON)
        if r.outcome == DecisionOutcome.not_fundable:
            _text(r.appeal_path, "the appeal path of a not-fundable decision")
        if r.outcome == DecisionOutcome.cleared_with_safeguards:
            if not r.measures:
                raise CaseRequestError("clearing with safeguards needs at least one measure")
            ids = [m.measure_id for m in r.measures]
            if len(set(ids)) != len(ids):
                raise CaseRequestError("a measure appears twice")
            for m in r.measures:
                if m.measure_id not in self.catalogue:
                    raise CaseRequestError(f"{m.measure_id!r} is not in the safeguard catalogue")
                _text(m.owner, f"the owner of {m.measure_id}")
                _text(m.evidence_required, f"the evidence required for {m.measure_id}")
                if _aware(m.due_at, f"the due date of {m.measure_id}") <= now:
                    raise CaseRequestError(f"the due date of {m.measure_id} must be in the future")
        elif r.measures:
            raise CaseRequestError(f"measures belong to a decision to clear with safeguards, not {r.outcome.value}")
        if self.route.four_eyes and self.appraisal is None:
            raise CaseRequestError(
                f"a level-{self.level} case needs the factor-by-factor appraisal recorded before a decision"
            )

    def check_confirm(self, r: ReviewRequest) -> None:
        self._require_working(S.awaiting_second_review)
        self._require_assigned(r.actor)
        assert self.proposed is not None
        if r.actor.subject == self.proposed.by:
            raise CaseRequestError("four-eyes: the decision must be confirmed by a second, different person")
        if "security_adviser" not in (*r.actor.roles, *self.proposed.by_roles):
            raise CaseRequestError("four-eyes: one of the two reviewers must be a security adviser")

    def check_return(self, r: ReviewRequest) -> None:
        self._require_working(S.awaiting_second_review)
        self._require_assigned(r.actor)
        assert self.proposed is not None
        if r.actor.subject == self.proposed.by:
            raise CaseRequestError("the proposer cannot return their own decision; the second reviewer does")
        _text(r.reason, "a reason")

    def check_refer(self, r: ReferralRequest) -> None:
        self._require_working(S.in_review)
        if not self.route.referral_allowed:
            raise CaseRequestError(f"level-{self.level} cases are not referred upward (routing)")
        assignment = self._require_assigned(r.actor)
        if assignment.role != "security_adviser":
            raise CaseRequestError("referral is for the security adviser of the case")
        _text(r.authority, "the authority")
        _text(r.reason, "a reason", MIN_REASON)

    def check_referral_answer(self, r: ReferralAnswer) -> None:
        self._require_working(S.awaiting_referral)
        self._require_assigned(r.actor)
        _text(r.answer, "the authority's answer")

    def _measure(self, measure_id: str) -> Measure:
        measure = self.measures.get(measure_id)
        if measure is None:
            raise CaseRequestError(f"the case has no safeguard measure {measure_id!r}")
        return measure

    def check_applicant_response(self, r: ApplicantSafeguardResponse) -> None:
        self._require_working(S.safeguards_pending)
        measure = self._measure(r.measure_id)
        allowed = RESPONSE_ALLOWED_FROM[r.kind]
        if measure.status not in allowed:
            raise CaseRequestError(f"measure {r.measure_id} is {measure.status.value}: cannot {r.kind.value}")
        _text(r.text, "the response")

    def check_revise(self, r: ReviseMeasureRequest, now: datetime) -> None:
        self._require_working(S.safeguards_pending)
        self._require_assigned(r.actor)
        measure = self._measure(r.measure_id)
        if measure.status not in (MeasureStatus.proposed, MeasureStatus.change_requested):
            raise CaseRequestError(f"measure {r.measure_id} is {measure.status.value}: it can no longer be revised")
        _text(r.reason, "a reason")
        if r.due_at is not None and _aware(r.due_at, "the due date") <= now:
            raise CaseRequestError("the due date must be in the future")

    def check_verify(self, r: VerifyMeasureRequest) -> None:
        self._require_working(S.safeguards_pending)
        self._require_assigned(r.actor)
        measure = self._measure(r.measure_id)
        if measure.status not in (MeasureStatus.accepted, MeasureStatus.evidence_submitted):
            raise CaseRequestError(
                f"measure {r.measure_id} is {measure.status.value}: the applicant has to accept it or submit evidence"
            )
        _text(r.note, "a verification note")

    def check_award(self, r: AwardRequest, now: datetime) -> None:
        if self.status != S.cleared:
            raise CaseRequestError(f"the case is {self.status.value}: only a cleared proposal can be awarded")
        if not (r.actor.has("case_officer") or r.actor.has("admin")):
            raise CaseRequestError("recording the grant signature needs a case officer or admin role")
        _text(r.grant_reference, "the grant reference")
        if _aware(r.signed_at, "the signature date") > now:
            raise CaseRequestError("the signature date cannot be in the future")

    # ------------------------------------------------------------------------------ actions

    def claim(self, r: ClaimRequest, now: datetime) -> CaseChange:
        self.check_claim(r)
        before, from_status = self.snapshot(), self.status
        self.assignees.append(Assignment(subject=r.actor.subject, role=r.role, name=r.actor.name))
        if self.status == S.open:
            self.status = S.in_review
        return self._record(Action.claim, r.actor, now, from_status, before, f"claimed as {r.role}")

    def assign(self, r: AssignRequest, now: datetime) -> CaseChange:
        self.check_assign(r)
        before, from_status = self.snapshot(), self.status
        self.assignees.append(r.assignee)
        if self.status == S.open:
            self.status = S.in_review
        return self._record(
            Action.assign,
            r.actor,
            now,
            from_status,
            before,
            f"assigned {r.assignee.subject} as {r.assignee.role}",
            details={"reason": r.reason} if r.reason else None,
        )

    def reassign(self, r: ReassignRequest, now: datetime) -> CaseChange:
        self.check_reassign(r)
        before, from_status = self.snapshot(), self.status
        self.assignees = [r.to if a.subject == r.from_subject else a for a in self.assignees]
        return self._record(
            Action.reassign,
            r.actor,
            now,
            from_status,
            before,
            f"reassigned {r.to.role} from {r.from_subject} to {r.to.subject}",
            details={"reason": r.reason.strip()},
        )

    def add_note(self, r: NoteRequest, now: datetime) -> CaseChange:
        self.check_note(r)
        before = self.snapshot()
        return self._record(
            Action.add_note,
            r.actor,
            now,
            self.status,
            before,
            "note added",
            details={"note_id": str(r.note_id)},
            note_body=r.body.strip(),
        )

    def request_information(self, r: InformationRequestRequest, now: datetime) -> CaseChange:
        self.check_request_information(r, now)
        before, from_status = self.snapshot(), self.status
        self.status, self.open_request = S.awaiting_applicant, r.request_id
        requested = AppraisalInformationRequested(
            proposal_id=self.proposal_id,
            version=self.version,
            request_id=r.request_id,
            message=r.message.strip(),
            due_at=r.due_at,
            requested_at=now,
        )
        return self._record(
            Action.request_information,
            r.actor,
            now,
            from_status,
            before,
            f"information requested from the applicant, due {r.due_at.date().isoformat()}",
            details={"request_id": str(r.request_id), "message": r.message.strip(), "due_at": r.due_at.isoformat()},
            events=[_spec(requested)],
        )

    def information_provided(self, r: InformationProvided, now: datetime) -> CaseChange | None:
        """A signal from intake: ignored (None) unless it answers the open request."""
        if self.status != S.awaiting_applicant or self.open_request != r.request_id:
            return None
        before, from_status = self.snapshot(), self.status
        self.status, self.open_request = S.in_review, None
        return self._record(
            Action.information_provided,
            Actor(subject=r.responded_by, roles=("applicant",)),
            now,
            from_status,
            before,
            "the applicant answered the information request",
            details={"request_id": str(r.request_id), "responded_at": r.responded_at.isoformat()},
        )

    def record_appraisal(self, r: AppraisalRequest, now: datetime) -> CaseChange:
        self.check_record_appraisal(r)
        before = self.snapshot()
        self.appraisal = r
        return self._record(
            Action.record_appraisal,
            r.actor,
            now,
            self.status,
            before,
            "factor-by-factor appraisal recorded: " + ", ".join(f"{f.category} {f.level}" for f in r.factors),
            details={"summary": r.summary.strip(), "factors": [asdict(f) for f in r.factors]},
        )

    def decide(self, r: DecisionRequest, now: datetime) -> CaseChange:
        self.check_decide(r, now)
        before, from_status = self.snapshot(), self.status
        decision = ProposedDecision(
            outcome=r.outcome,
            reason=r.reason.strip(),
            by=r.actor.subject,
            by_roles=list(r.actor.roles),
            at=now,
            appeal_path=r.appeal_path,
            measures=list(r.measures),
        )
        details = {
            "outcome": r.outcome.value,
            "reason": decision.reason,
            "appeal_path": r.appeal_path,
            "measures": [m.measure_id for m in r.measures],
        }
        if self.route.four_eyes:
            self.proposed, self.status = decision, S.awaiting_second_review
            return self._record(
                Action.decide,
                r.actor,
                now,
                from_status,
                before,
                f"decision proposed: {r.outcome.value} (awaiting a second reviewer)",
                details=details,
            )
        events = self._take_effect(decision, [r.actor.subject], now)
        return self._record(
            Action.decide,
            r.actor,
            now,
            from_status,
            before,
            f"decided: {r.outcome.value}",
            details=details,
            events=events,
        )

    def confirm_decision(self, r: ReviewRequest, now: datetime) -> CaseChange:
        self.check_confirm(r)
        assert self.proposed is not None
        before, from_status = self.snapshot(), self.status
        decision, self.proposed = self.proposed, None
        events = self._take_effect(decision, [decision.by, r.actor.subject], now)
        return self._record(
            Action.confirm_decision,
            r.actor,
            now,
            from_status,
            before,
            f"decision confirmed by a second reviewer: {decision.outcome.value}",
            details={"outcome": decision.outcome.value, "proposed_by": decision.by, "note": r.reason},
            events=events,
        )

    def return_decision(self, r: ReviewRequest, now: datetime) -> CaseChange:
        self.check_return(r)
        assert self.proposed is not None
        before, from_status = self.snapshot(), self.status
        returned, self.proposed, self.status = self.proposed, None, S.in_review
        return self._record(
            Action.return_decision,
            r.actor,
            now,
            from_status,
            before,
            f"proposed decision {returned.outcome.value} returned for further review",
            details={"reason": (r.reason or "").strip(), "proposed_by": returned.by},
        )

    def _take_effect(self, decision: ProposedDecision, deciders: list[str], now: datetime) -> list[EventSpec]:
        self.decision, self.decided_by = decision, deciders
        decided = AppraisalDecided(
            **self._ids(),
            outcome=decision.outcome.value,
            reason=decision.reason,
            appeal_path=decision.appeal_path,
            decided_by=deciders,
            level=self.level,
            decided_at=now,
        )
        events = [_spec(decided)]
        if decision.outcome == DecisionOutcome.cleared:
            self.status = S.cleared
            events += [self._cleared(now), self._applicant_status(ApplicantVisibleStatus.cleared, now)]
        elif decision.outcome == DecisionOutcome.not_fundable:
            self.status = S.not_fundable
            events.append(self._applicant_status(ApplicantVisibleStatus.not_fundable_for_security_reasons, now))
        else:
            self.status = S.safeguards_pending
            for proposed in decision.measures:
                entry = self.catalogue[proposed.measure_id]
                self.measures[proposed.measure_id] = Measure(
                    measure_id=proposed.measure_id,
                    title=entry.title,
                    owner=proposed.owner.strip(),
                    due_at=proposed.due_at,
                    evidence_required=proposed.evidence_required.strip(),
                    terms=proposed.terms,
                )
            proposed_event = SafeguardsProposed(
                **self._ids(),
                measures=[_terms(m) for m in self.measures.values()],
                proposed_at=now,
            )
            events += [_spec(proposed_event), self._applicant_status(ApplicantVisibleStatus.safeguards_proposed, now)]
        return events

    def _cleared(self, now: datetime) -> EventSpec:
        return _spec(
            AppraisalCleared(
                **self._ids(),
                level=self.level,
                auto_cleared=False,
                decided_by=self.decided_by,
                safeguards=[m.measure_id for m in self.measures.values()],
                cleared_at=now,
            )
        )

    def refer(self, r: ReferralRequest, now: datetime) -> CaseChange:
        self.check_refer(r)
        before, from_status = self.snapshot(), self.status
        self.referral, self.status = r, S.awaiting_referral
        return self._record(
            Action.refer,
            r.actor,
            now,
            from_status,
            before,
            f"referred to the {r.authority.strip()}",
            details={"authority": r.authority.strip(), "reason": r.reason.strip()},
        )

    def referral_answered(self, r: ReferralAnswer, now: datetime) -> CaseChange:
        self.check_referral_answer(r)
        before, from_status = self.snapshot(), self.status
        authority = self.referral.authority if self.referral else "authority"
        self.status = S.in_review
        return self._record(
            Action.referral_answered,
            r.actor,
            now,
            from_status,
            before,
            f"answer of the {authority} recorded",
            details={"answer": r.answer.strip(), "recommendation": r.recommendation},
        )

    def applicant_response(self, r: ApplicantSafeguardResponse, now: datetime) -> CaseChange:
        self.check_applicant_response(r)
        measure = self.measures[r.measure_id]
        before = self.snapshot()
        measure.status = RESPONSE_LEADS_TO[r.kind]
        measure.history.append({"at": now.isoformat(), "by": r.responded_by, "kind": r.kind.value, "text": r.text})
        return self._record(
            Action.applicant_safeguard_response,
            Actor(subject=r.responded_by, roles=("applicant",)),
            now,
            self.status,
            before,
            f"applicant: {r.kind.value} on {r.measure_id}",
            details={"measure_id": r.measure_id, "kind": r.kind.value, "text": r.text, "evidence": r.evidence},
            events=[self._measure_event(measure, now)],
        )

    def revise_measure(self, r: ReviseMeasureRequest, now: datetime) -> CaseChange:
        self.check_revise(r, now)
        measure = self.measures[r.measure_id]
        before = self.snapshot()
        changes = {
            k: v
            for k, v in {
                "owner": r.owner,
                "due_at": r.due_at,
                "evidence_required": r.evidence_required,
                "terms": r.terms,
            }.items()
            if v is not None
        }
        for name, value in changes.items():
            setattr(measure, name, value.strip() if isinstance(value, str) else value)
        measure.status = MeasureStatus.proposed
        measure.history.append({"at": now.isoformat(), "by": r.actor.subject, "kind": "revised", "text": r.reason})
        return self._record(
            Action.revise_measure,
            r.actor,
            now,
            self.status,
            before,
            f"measure {r.measure_id} revised",
            details={"measure_id": r.measure_id, "reason": r.reason, "changed": sorted(changes)},
            events=[self._measure_event(measure, now)],
        )

    def verify_measure(self, r: VerifyMeasureRequest, now: datetime) -> CaseChange:
        self.check_verify(r)
        measure = self.measures[r.measure_id]
        before, from_status = self.snapshot(), self.status
        measure.status = MeasureStatus.verified
        measure.history.append({"at": now.isoformat(), "by": r.actor.subject, "kind": "verified", "text": r.note})
        events = [self._measure_event(measure, now)]
        summary = f"measure {r.measure_id} verified"
        if all(m.status == MeasureStatus.verified for m in self.measures.values()):
            self.status = S.cleared
            agreed = SafeguardsAgreed(
                **self._ids(),
                measures=[_terms(m) for m in self.measures.values()],
                agreed_at=now,
            )
            events += [
                _spec(agreed),
                self._cleared(now),
                self._applicant_status(ApplicantVisibleStatus.cleared_with_safeguards, now),
            ]
            summary += "; every safeguard is agreed"
        return self._record(
            Action.verify_measure,
            r.actor,
            now,
            from_status,
            before,
            summary,
            details={"measure_id": r.measure_id, "note": r.note},
            events=events,
        )

    def award(self, r: AwardRequest, now: datetime) -> CaseChange:
        self.check_award(r, now)
        before, from_status = self.snapshot(), self.status
        self.status = S.awarded
        awarded = GrantAwarded(
            **self._ids(),
            grant_reference=r.grant_reference.strip(),
            signed_at=r.signed_at,
            level=self.level,
            auto_cleared=self.auto_cleared,
            obligations=[_terms(m) for m in self.measures.values()],
            awarded_by=r.actor.subject,
        )
        return self._record(
            Action.award,
            r.actor,
            now,
            from_status,
            before,
            f"grant {r.grant_reference.strip()} signed",
            details={"grant_reference": r.grant_reference.strip(), "signed_at": r.signed_at.isoformat()},
            events=[_spec(awarded)],
        )

    def close(self, action: Action, r: CloseSignal, now: datetime) -> CaseChange | None:
        """Withdrawal or supersession (signals): ignored (None) once the case is final."""
        if self.final:
            return None
        before, from_status = self.snapshot(), self.status
        self.status = S.withdrawn if action == Action.withdraw else S.superseded
        return self._record(action, SYSTEM, now, from_status, before, r.reason, details={"at": r.at.isoformat()})

    def _measure_event(self, measure: Measure, now: datetime) -> EventSpec:
        return _spec(
            SafeguardMeasureUpdated(
                **self._ids(),
                measure=_terms(measure),
                updated_at=now,
            )
        )


def _decision_view(d: ProposedDecision, by: list[str]) -> dict[str, Any]:
    """A decision as the audit record and the read model keep it (reason and appeal path are the proposer's)."""
    return {
        "outcome": d.outcome.value,
        "reason": d.reason,
        "appeal_path": d.appeal_path,
        "decided_by": list(by),
        "at": d.at.isoformat(),
    }


def _terms(m: Measure) -> SafeguardMeasureTerms:
    return SafeguardMeasureTerms(
        measure_id=m.measure_id,
        title=m.title,
        owner=m.owner,
        due_at=m.due_at,
        evidence_required=m.evidence_required,
        terms=m.terms,
        status=m.status.value,
    )


def _spec(event) -> EventSpec:
    return EventSpec(type=event.event_type, data=event.model_dump(mode="json"))
