"""Realistic proposal documents for tests and benchmarks."""

from __future__ import annotations

import random
import uuid
from typing import Any

COUNTRIES = ["DE", "FR", "NL", "IT", "ES", "PL", "SE", "FI", "NO", "CH", "GB", "US", "JP", "KR", "CA", "AU", "IN", "BR"]
PARTNER_TYPES = ["university", "research_institute", "company", "government_body", "other"]
SHARES = ["data", "samples", "software", "know_how", "facility_access"]


def answer_all(definition: dict[str, Any], *, yes: bool = False) -> dict[str, Any]:
    """A complete answer set: every root question answered, follow-ups answered when shown."""
    answers: dict[str, Any] = {}
    for q in definition["questions"]:
        cond = q.get("show_if")
        if cond is not None:
            parent = answers.get(cond["question"])
            if "equals" in cond and parent != cond["equals"]:
                continue
            if "includes" in cond and cond["includes"] not in (parent or []):
                continue
        kind = q["answer_type"]
        if kind == "boolean":
            answers[q["id"]] = yes
        elif kind == "single_choice":
            values = [o["value"] for o in q["options"]]
            answers[q["id"]] = "no" if "no" in values and not yes else values[0]
        elif kind == "multi_choice":
            answers[q["id"]] = [q["options"][0]["value"]]
        elif kind == "number":
            answers[q["id"]] = q.get("min") or 0
        elif kind == "date":
            answers[q["id"]] = "2027-01-01"
        else:
            answers[q["id"]] = "Described in the proposal's security section."
    return answers


def partner(rng: random.Random, share: str = "10.00") -> dict[str, Any]:
    return {
        "partner_id": str(uuid.uuid4()),
        "name": f"Partner Institute {rng.randint(1, 10_000)}",
        "aliases": [],
        "country": rng.choice(COUNTRIES),
        "ownership_control_countries": [],
        "partner_type": rng.choice(PARTNER_TYPES),
        "role": "beneficiary",
        "budget_share_percent": share,
        "shares": rng.sample(SHARES, 2),
        "declared_end_use": "Publication of results in open-access journals.",
    }


def complete_content(
    questionnaire: dict[str, Any], *, partners: int = 3, seed: int = 0, title: str = "Secure photonic sensing"
) -> dict[str, Any]:
    rng = random.Random(seed)
    share = f"{60 / max(partners, 1):.2f}"
    return {
        "details": {
            "acronym": f"PHOTON{seed % 1000}",
            "title": title,
            "abstract": "We develop photonic sensors for environmental monitoring with open data.",
            "keywords": ["photonics", "sensing"],
            "critical_technology_areas": ["advanced_sensing"],
            "requested_budget_eur": "1500000.00",
            "duration_months": 36,
            "open_science_statement": "All publications open access; data FAIR.",
            "data_management": {"sensitive_personal_data": False, "large_or_aggregated_datasets": False},
            "sensitive_infrastructure": {"uses_sensitive_infrastructure": False},
        },
        "partners": [partner(rng, share) for _ in range(partners)],
        "researchers": [
            {
                "full_name": "Dr. Zoë Ångström",
                "orcid": "0000-0002-1825-0097",
                "role_in_project": "principal investigator",
                "current_appointments": [
                    {"organisation": "Demo University", "country": "NL", "position": "Associate professor"}
                ],
                "talent_programmes": [],
                "outside_support": [],
            }
        ],
        "self_assessment": {
            "questionnaire_version": questionnaire["version"],
            "answers": answer_all(questionnaire["definition"]),
        },
    }
