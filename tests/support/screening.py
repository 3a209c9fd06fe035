"""Proposal snapshots for appraisal tests: what intake publishes on submission."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from rsc_common.events.types import ProposalSnapshot

DEMO_ORG_ID = uuid.UUID("0b5e7d2c-1a4f-4c1e-9a63-6f3b2f6d0a01")

GOOD_APPLICANT: dict[str, Any] = {
    "legal_name": "Demo University",
    "country": "NL",
    "organisation_type": "higher_education",
    "identifiers": {"pic": "999999901"},
    "security_contact": {"name": "Research Security Office", "email": "security@demo-university.example"},
    "security_policy_in_place": True,
    "security_governance": "Board-level portfolio holder, advisory team, research-security coordinator.",
    "dual_use_compliance_programme": True,
    "non_eu_funding_share_percent": "3.00",
    "largest_non_eu_funders": [],
    "foreign_ownership": {"owned_or_controlled_from_abroad": False},
}


def _partner(name: str, country: str, pic: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "partner_id": str(uuid.uuid4()),
        "name": name,
        "aliases": [],
        "identifiers": {"pic": pic} if pic else {},
        "country": country,
        "ownership_control_countries": [],
        "partner_type": "university",
        "role": "beneficiary",
        "budget_share_percent": "20.00",
        "shares": ["data"],
        "declared_end_use": "Open publication of results.",
        **extra,
    }


def clean_content() -> dict[str, Any]:
    """A low-risk proposal: humanities, no critical technology, EU university partners."""
    return {
        "details": {
            "acronym": "MEDSCRIPT",
            "title": "Reading medieval manuscripts: scribal networks in monastic libraries",
            "abstract": "We study how scribes in twelfth-century monasteries copied and annotated manuscripts,"
            " using palaeography and archival research to map the exchange of texts between libraries.",
            "keywords": ["palaeography", "medieval history", "manuscripts"],
            "critical_technology_areas": [],
            "requested_budget_eur": "900000.00",
            "duration_months": 36,
            "open_science_statement": "All publications open access; transcriptions under CC BY.",
            "data_management": {"sensitive_personal_data": False, "large_or_aggregated_datasets": False},
            "sensitive_infrastructure": {"uses_sensitive_infrastructure": False},
        },
        "partners": [
            _partner("Universiteit van Demoland Letteren", "BE", "999888001"),
            _partner("Università degli Studi di Esempio", "IT", "999888002"),
            _partner("Universidad de Ejemplo", "ES", "999888003"),
        ],
        "researchers": [
            {
                "researcher_id": str(uuid.uuid4()),
                "full_name": "Dr. Zoë Ångström",
                "role_in_project": "principal investigator",
                "current_appointments": [
                    {"organisation": "Demo University", "country": "NL", "position": "Associate professor"}
                ],
                "talent_programmes": [],
                "outside_support": [],
            }
        ],
        "self_assessment": {"questionnaire_version": 1, "answers": {}},
    }


def flagged_content(partner_name: str = "Northbridge Institut for Applied Photonics") -> dict[str, Any]:
    """Photonics with a partner that resembles the demo watch list's Northbridge institute."""
    content = clean_content()
    content["details"].update(
        acronym="PHOTONSEC",
        title="High-power laser photonics for secure free-space optical links",
        abstract="We develop high-power fibre lasers and photonic integrated circuits for free-space optical"
        " communication and quantum key distribution between ground stations.",
        keywords=["photonics", "quantum key distribution", "lasers"],
        critical_technology_areas=["quantum"],
    )
    content["partners"][1] = _partner(partner_name, "GB", partner_type="research_institute", shares=["know_how"])
    return content


def snapshot(
    content: dict[str, Any],
    *,
    applicant: dict[str, Any] | None = None,
    proposal_id: uuid.UUID | None = None,
    version: int = 1,
) -> ProposalSnapshot:
    organisation = copy.deepcopy(applicant or GOOD_APPLICANT)
    digest = hashlib.sha256(json.dumps([content, organisation], sort_keys=True).encode()).hexdigest()
    return ProposalSnapshot(
        proposal_id=proposal_id or uuid.uuid4(),
        version=version,
        organisation_id=DEMO_ORG_ID,
        call_id=uuid.uuid4(),
        call_identifier="TEST-2027-01",
        submitted_at=datetime.now(UTC),
        submitted_by="test-applicant",
        organisation=organisation,
        content=content,
        questionnaire_version=1,
        attachments=[],
        content_sha256=digest,
    )
