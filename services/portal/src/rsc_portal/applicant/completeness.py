"""What a proposal still needs before it can be submitted, each item with the step that fixes it.

Intake decides at submission (and its answer is shown if it refuses); this check uses the same rules
beforehand (rsc_common's `completeness_errors`, the questionnaire's required questions, the
organisation profile answers intake requires) so that the applicant sees everything at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from rsc_common.contracts.proposal import ProposalContent, completeness_errors
from rsc_portal.applicant import questionnaire as qn

# Intake's REQUIRED_PROFILE_ANSWERS (rsc_intake.proposals.snapshot).
PROFILE_ANSWERS = (
    "security_contact",
    "security_policy_in_place",
    "dual_use_compliance_programme",
    "non_eu_funding_share_percent",
    "foreign_ownership",
)
STEP_OF = {"details": "project", "partners": "partners", "researchers": "researchers",
           "self_assessment": "self-assessment"}  # fmt: skip


@dataclass(frozen=True)
class Missing:
    pointer: str
    step: str | None  # the step that fixes it (None: not in the proposal, e.g. the organisation profile)
    key: str | None  # catalogue key of the explanation, if there is one
    message: str  # otherwise this (the API's words, or the question text)


def step_of(pointer: str) -> str | None:
    head = pointer.strip("/").split("/", 1)[0]
    return STEP_OF.get(head)


def _from_error(error: dict[str, str]) -> Missing:
    pointer = error["pointer"]
    parts = pointer.strip("/").split("/")
    key = None
    if parts[0] == "details" and len(parts) == 2:
        key = f"applicant.missing.{parts[1]}"
    elif parts[0] in ("researchers", "self_assessment") and len(parts) == 1:
        key = f"applicant.missing.{parts[0]}"
    elif parts[0] == "organisation":
        key = "applicant.missing.organisation_profile"
    elif parts[0] == "partners" and len(parts) == 1:
        key = "applicant.missing.partner_budget"
    return Missing(pointer, step_of(pointer), key, error.get("message", ""))


def check(
    content: dict[str, Any], questionnaire: dict[str, Any] | None, organisation: dict[str, Any] | None
) -> list[Missing]:
    try:
        parsed = ProposalContent.model_validate(content)
    except ValidationError:  # the API only stores valid drafts; should it not, intake's answer will tell
        return []
    missing = [_from_error(e) for e in completeness_errors(parsed)]
    assessment = content.get("self_assessment")
    if assessment is not None:
        for question in qn.unanswered_required(questionnaire, assessment.get("answers") or {}):
            pointer = f"/self_assessment/answers/{question['id']}"
            missing.append(Missing(pointer, "self-assessment", None, question.get("text", question["id"])))
    if organisation is not None:
        profile = organisation.get("profile") or {}
        missing += [
            Missing(f"/organisation/{name}", None, "applicant.missing.organisation_profile", name)
            for name in PROFILE_ANSWERS
            if profile.get(name) is None
        ]
    return missing


def from_api_errors(errors: dict[str, str]) -> list[Missing]:
    """Intake's refusal of a submission (422 incomplete-proposal), in the same form."""
    return [_from_error({"pointer": pointer, "message": message}) for pointer, message in errors.items()]
