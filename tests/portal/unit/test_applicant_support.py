"""Answers shaped like the real intake and monitoring APIs (recorded from the demo stack), for the
applicant page tests."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from tests.portal.pages import ORGANISATION_ID

PROPOSAL_ID = "42da9cf4-f47a-4f00-bf83-4106f9956e55"
CALL_ID = "9d9868fa-cfa2-4f74-baf1-b4d56e2b9b75"
PARTNER_ID = "0cef1b6c-9cb6-4103-b7fb-44692a05095c"
RESEARCHER_ID = "dbeb0916-19f4-4b33-9e6a-cfb10d129206"
REQUEST_ID = "7d1f3c2a-5b6e-4f70-8a91-b2c3d4e5f601"
ATTACHMENT_ID = "b7d983e5-1687-4c81-83fd-d2862d26e746"
P = f"/v1/proposals/{PROPOSAL_ID}"

CALL = {
    "identifier": "DEMO-2027-RIA-01", "title": "Trustworthy and secure advanced materials and photonics",
    "opens_at": "2026-11-29T12:59:58Z", "closes_at": "2027-03-06T12:59:58Z", "id": CALL_ID,
    "programme_id": "7959aebe-9a23-4bfa-9e9c-588feaa997d0", "is_open": True, "created_at": "2026-12-06T12:59:58Z",
}  # fmt: skip

EMPTY_CONTENT = {
    "details": {"acronym": None, "title": None, "abstract": None, "keywords": [], "critical_technology_areas": None,
                "requested_budget_eur": None, "duration_months": None, "open_science_statement": None,
                "data_management": None, "sensitive_infrastructure": None},
    "partners": [], "researchers": [], "self_assessment": None,
}  # fmt: skip

FULL_CONTENT = {
    "details": {
        "acronym": "PHOTON0", "title": "Secure photonic sensing",
        "abstract": "We develop photonic sensors for environmental monitoring with open data.",
        "keywords": ["photonics", "sensing"], "critical_technology_areas": ["advanced_sensing"],
        "requested_budget_eur": "1500000.00", "duration_months": 36,
        "open_science_statement": "All publications open access; data FAIR.",
        "data_management": {"sensitive_personal_data": False, "large_or_aggregated_datasets": False, "statement": ""},
        "sensitive_infrastructure": {"uses_sensitive_infrastructure": False, "description": ""},
    },
    "partners": [{
        "partner_id": PARTNER_ID, "name": "Partner Institute 6312", "aliases": [],
        "identifiers": {"pic": None, "ror": None, "lei": None, "vat": None}, "country": "KR",
        "ownership_control_countries": [], "partner_type": "university", "role": "beneficiary",
        "budget_share_percent": "20.00", "owners_and_controllers": [], "shares": ["software", "know_how"],
        "declared_end_use": "Publication of results in open-access journals.",
    }],
    "researchers": [{
        "researcher_id": RESEARCHER_ID, "full_name": "Dr. Zoë Ångström", "orcid": "0000-0002-1825-0097",
        "role_in_project": "principal investigator",
        "current_appointments": [{"organisation": "Demo University", "country": "NL",
                                  "position": "Associate professor", "since": None}],
        "talent_programmes": [], "outside_support": [],
    }],
    "self_assessment": {"questionnaire_version": 1, "answers": {
        "dual_use_items": False, "export_licence_needed": "no", "military_end_use": False,
    }},
}  # fmt: skip


def proposal(status: str = "draft", content: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    content = copy.deepcopy(EMPTY_CONTENT if content is None else content)
    return {
        "id": PROPOSAL_ID, "organisation_id": ORGANISATION_ID, "call_id": CALL_ID, "status": status,
        "public_status": None, "acronym": content["details"]["acronym"], "title": content["details"]["title"],
        "current_version": 0 if status == "draft" else 1, "created_at": "2026-12-06T21:28:05Z",
        "updated_at": "2026-12-06T21:28:05Z", "submitted_at": None if status == "draft" else "2026-12-06T21:30:00Z",
        "content": content, "row_version": 3, "withdrawn_at": None, "decided_at": None, **extra,
    }  # fmt: skip


def with_etag(body: dict[str, Any], etag: str = '"3"') -> httpx.Response:
    return httpx.Response(200, json=body, headers={"ETag": etag})


# A questionnaire with the default one's structure: a boolean with follow-ups, a single choice with one,
# a follow-up of a follow-up, a multi-choice follow-up ("includes").
QUESTIONNAIRE = {
    "id": "d2ba738c-6d8b-421d-af2c-b2371fe45ea9", "call_id": CALL_ID, "version": 1,
    "published_at": "2026-12-06T12:59:58Z",
    "definition": {
        "title": "Research-security self-assessment", "description": "Answer every question.",
        "questions": [
            {"id": "dual_use_items", "text": "Does the project use dual-use items?", "help": "", "category": "dual_use",
             "answer_type": "boolean", "required": True},
            {"id": "dual_use_categories", "text": "Which Annex I categories?", "help": "", "category": "dual_use",
             "answer_type": "multi_choice", "required": True,
             "options": [{"value": "3", "label": "Category 3: electronics"},
                         {"value": "6", "label": "Category 6: sensors and lasers"}],
             "show_if": {"question": "dual_use_items", "equals": True}},
            {"id": "dual_use_description", "text": "Describe the dual-use items.", "help": "", "category": "dual_use",
             "answer_type": "text", "required": True, "max_length": 4000,
             "show_if": {"question": "dual_use_items", "equals": True}},
            {"id": "category_six_detail", "text": "Which lasers?", "help": "", "category": "dual_use",
             "answer_type": "text", "required": False, "show_if": {"question": "dual_use_categories", "includes": "6"}},
            {"id": "export_licence_needed", "text": "Is an export authorisation needed?", "help": "",
             "category": "export_licence", "answer_type": "single_choice", "required": True,
             "options": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"},
                         {"value": "not_yet_known", "label": "Not yet known"}]},
            {"id": "export_licence_status", "text": "What is the status of the export authorisations?", "help": "",
             "category": "export_licence", "answer_type": "single_choice", "required": True,
             "options": [{"value": "obtained", "label": "Obtained"}, {"value": "applied_for", "label": "Applied for"}],
             "show_if": {"question": "export_licence_needed", "equals": "yes"}},
            {"id": "military_end_use", "text": "Could the results have a military application?", "help": "",
             "category": "military_end_use", "answer_type": "boolean", "required": True},
        ],
    },
}  # fmt: skip

ORGANISATION = {
    "id": ORGANISATION_ID, "legal_name": "Demo University of Applied Sciences", "country_code": "NL",
    "organisation_type": "higher_education", "pic": "999999901", "ror": "https://ror.org/00demo001",
    "profile": {"identifiers": {"pic": "999999901"},
                "security_contact": {"name": "Research Security Office", "email": "rso@demo.example"},
                "foreign_ownership": {"details": "", "countries": [], "owned_or_controlled_from_abroad": False},
                "security_policy_in_place": True, "non_eu_funding_share_percent": "4.50",
                "dual_use_compliance_programme": True, "largest_non_eu_funders": []},
    "row_version": 1, "created_at": "2026-12-06T12:59:58Z", "updated_at": None,
}  # fmt: skip

ATTACHMENT = {
    "id": ATTACHMENT_ID, "proposal_id": PROPOSAL_ID, "kind": "other", "filename": "a.pdf",
    "media_type": "application/pdf", "size_bytes": 15, "sha256": "14bc" * 16,
    "uploaded_by": "4834d10e-006c-43ae-8500-219af1e102e0", "uploaded_at": "2026-12-06T21:28:05Z",
    "frozen_in_version": None,
}  # fmt: skip

INFORMATION_REQUEST = {
    "id": REQUEST_ID,
    "message": "Please describe the partner's ownership.",
    "due_at": "2026-12-20T00:00:00Z",
    "requested_at": "2026-12-06T22:00:00Z",
    "response": None,
    "responded_at": None,
}

SAFEGUARDS = {
    "proposal_id": PROPOSAL_ID, "version": 1, "proposed_at": "2026-12-07T09:00:00Z", "agreed_at": None,
    "open": True,
    "measures": [{
        "measure_id": "M-1", "title": "Technology control plan", "owner": "Principal investigator",
        "due_at": "2027-01-31T00:00:00Z", "evidence_required": "The signed plan",
        "terms": "Access to lab data is limited to named staff.", "status": "proposed",
        "allowed_responses": ["accept", "request_change", "submit_evidence"], "responses": [],
    }],
}  # fmt: skip

NO_SAFEGUARDS = {"proposal_id": PROPOSAL_ID, "version": None, "proposed_at": None, "agreed_at": None,
                 "open": False, "measures": []}  # fmt: skip

HISTORY = [{"from_status": "draft", "to_status": "submitted", "at": "2026-12-06T21:30:00Z", "reason": None},
           {"from_status": "submitted", "to_status": "information_requested", "at": "2026-12-06T22:00:00Z",
            "reason": "due 2026-12-20"}]  # fmt: skip

VERSIONS = [
    {"version": 1, "submitted_at": "2026-12-06T21:30:00Z", "submitted_by": "sub", "questionnaire_version": 1,
     "content_sha256": "a" * 64},
    {"version": 2, "submitted_at": "2026-12-08T10:00:00Z", "submitted_by": "sub", "questionnaire_version": 1,
     "content_sha256": "b" * 64},
]  # fmt: skip

DIFF = {
    "proposal_id": PROPOSAL_ID, "from_version": 1, "to_version": 2,
    "changes": [
        {"pointer": "/content/details/title", "op": "changed", "before": "Secure photonic sensing",
         "after": "Secure photonic sensing networks"},
        {"pointer": f"/content/partners/{PARTNER_ID}", "op": "removed",
         "before": {"name": "Partner Institute 6312", "country": "KR"}, "after": None},
        {"pointer": "/content/details/keywords/2", "op": "added", "before": None, "after": "lidar"},
    ],
}  # fmt: skip

GRANT_REFERENCE = "GA-2027-0001"
GRANT = {
    "reference": GRANT_REFERENCE, "proposal_id": PROPOSAL_ID, "version": 1, "organisation_id": ORGANISATION_ID,
    "level": "high", "signed_at": "2027-01-10T00:00:00Z", "ends_at": "2030-01-10T00:00:00Z", "status": "active",
    "plan_version": "2026.1", "attestation_interval_months": 6,
    "obligations": [{
        "measure_id": "M-1", "title": "Technology control plan", "owner": "Principal investigator", "terms": None,
        "evidence_required": "The signed plan", "due_at": "2027-03-01T00:00:00Z", "status": "open", "evidence": [],
        "decided_by": None, "decision_note": None, "fulfilled_at": None, "escalated_at": None,
    }],
    "attestations": [
        {"period": 1, "due_at": "2027-07-10T00:00:00Z", "status": "scheduled", "changes": [], "statement": None,
         "evidence": [], "submitted_at": None, "reappraisal_requested": False},
    ],
    "plan_warnings": [],
}  # fmt: skip

INCIDENT_TYPES = [
    {"code": "suspicious_approach", "description": "A suspicious approach to project staff."},
    {"code": "other", "description": "Anything else that affects the security of the funded research."},
]


def problem(
    status: int, errors: list[dict[str, str]] | None = None, detail: str = "", title: str = ""
) -> httpx.Response:
    body: dict[str, Any] = {"type": "https://rsc.example.org/problems/validation", "title": title or "Invalid request",
                            "status": status, "detail": detail}  # fmt: skip
    if errors is not None:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})
