"""Freezing a proposal into an immutable, complete version."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from rsc_common.contracts.proposal import OrganisationProfile, ProposalContent, completeness_errors
from rsc_common.http import ProblemError
from rsc_intake.organisations.models import ApplicantOrganisation

# What the organisation must have stated in its profile before it can submit (category 1a).
REQUIRED_PROFILE_ANSWERS = (
    "security_contact",
    "security_policy_in_place",
    "dual_use_compliance_programme",
    "non_eu_funding_share_percent",
    "foreign_ownership",
)


def organisation_profile(org: ApplicantOrganisation | Row) -> OrganisationProfile:
    """From an organisation, or a row with its `profile`, `legal_name`, `country_code` and `organisation_type`."""
    return OrganisationProfile.model_validate(
        {
            **org.profile,
            "legal_name": org.legal_name,
            "country": org.country_code,
            "organisation_type": org.organisation_type,
        }
    )


def profile_errors(profile: OrganisationProfile) -> list[dict[str, str]]:
    return [
        {
            "pointer": f"/organisation/{name}",
            "message": "your organisation's profile must answer this before submitting",
        }
        for name in REQUIRED_PROFILE_ANSWERS
        if getattr(profile, name) is None
    ]


def content_hash(content: dict[str, Any], organisation: dict[str, Any]) -> str:
    canonical = json.dumps({"content": content, "organisation": organisation}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_content(raw: dict[str, Any]) -> ProposalContent:
    try:
        return ProposalContent.model_validate(raw)
    except ValidationError as exc:  # stored drafts were valid when saved; a contract change must not 500
        raise ProblemError(
            409, "draft-invalid", f"the stored draft no longer validates: {exc.error_count()} error(s)"
        ) from exc


def incomplete(errors: list[dict[str, str]]) -> ProblemError:
    return ProblemError(
        422,
        "incomplete-proposal",
        f"the proposal is not complete: {len(errors)} item(s) missing or invalid",
        title="Proposal incomplete",
        errors=errors,
    )


__all__ = [
    "completeness_errors",
    "content_hash",
    "incomplete",
    "organisation_profile",
    "parse_content",
    "profile_errors",
]
