"""Appraisal API answers shaped like the real ones (taken from a flagged proposal on the demo stack); no tests here."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from rsc_portal.security.cookies import CookieCodec
from rsc_portal.security.store import SESSION_COOKIE
from rsc_portal.settings import DEV_SESSION_SECRET

CASE_ID = "62b83c80-0370-5651-83e5-ec544dddfd3c"
SCREENING_ID = "41fd81cd-de8b-4c2d-a40c-038576ec5c86"
PARTNER_REF = "partner:91a8c34a-e298-4a2e-b95a-9b14dace4917"
PARTNER_ORG = "002f4faa-9a6a-47f1-9ccb-d9311bc5cbd9"
POLICY_ID = "e8168611-b517-49da-b192-d66c3aab8085"


def subject_of(client: TestClient) -> str:
    sealed = client.cookies.get(f"{SESSION_COOKIE}.0")
    return CookieCodec(DEV_SESSION_SECRET, purpose="session").open(sealed, max_age=86400)["subject"]


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def sla(due_in: timedelta, **kw: Any) -> dict[str, Any]:
    return {
        "status": "running",
        "due_at": iso(due_in),
        "paused": False,
        "breached": False,
        "projected_breach": False,
        "used_working_days": 3.0,
        "remaining_working_days": 37.0,
        "budget_working_days": 40,
        "extension_working_days": 0,
        "as_of": iso(timedelta(0)),
        **kw,
    }


WATCHLIST_FLAG = {
    "level": "medium",
    "title": "A partner or its owner/controller may be on the funder's watch list",
    "weight": 1.5,
    "rule_id": "partner.watchlist_match",
    "subject": PARTNER_REF,
    "category": "partner_organisation",
    "evidence": [
        {
            "data": {
                "score": 0.9857,
                "topics": ["export.risk", "mil"],
                "entry_id": "demo-wl-0001",
                "list_key": "demo-funder-watchlist",
                "list_kind": "watchlist",
                "list_version": "demo-2025-01",
                "control_chain": [],
                "entry_caption": "Northbridge Institute of Applied Photonics",
                "identifier_match": False,
                "listed_controller_id": None,
            },
            "kind": "list_match",
            "detail": "'Northbridge Institut for Applied Photonics' ~ 'Northbridge Institute of Applied Photonics'"
            " (Northbridge Institute of Applied Photonics) on demo-funder-watchlist: score 0.99",
            "source": "list:demo-funder-watchlist@demo-2025-01",
            "pointer": "/content/partners/1",
        }
    ],
    "hard_gate": False,
    "requires_review": True,
}
CLASSIFIER_FLAG = {
    "level": "low",
    "title": "The project is in one of the four prioritised critical technology areas",
    "weight": 1.5,
    "rule_id": "domain.priority_critical_technology_area",
    "subject": "proposal",
    "category": "research_domain",
    "evidence": [
        {
            "data": {
                "area": "quantum",
                "phrases": ["quantum key distribution"],
                "confidence": 0.941,
                "technologies": ["quantum.cryptography"],
            },
            "kind": "text",
            "detail": "quantum found (confidence 0.94): quantum key distribution",
            "source": "classifier rules1-2026.11.1-r1-93e13eb4",
            "pointer": "/content/details",
        }
    ],
    "hard_gate": False,
    "requires_review": False,
}
COUNTRY_FLAG = {
    "level": "low",
    "title": "A partner is based in, or owned or controlled from, a country outside the EU",
    "weight": 0.0,
    "rule_id": "country.third_country_partner",
    "subject": PARTNER_REF,
    "category": "third_country",
    "evidence": [
        {
            "data": {
                "country": "GB",
                "relation": "partner_establishment",
                "indicators": {
                    "eu_member_state": {
                        "value": False,
                        "source": "Treaty on European Union, Art. 52",
                        "retrieved": "2026-01-15",
                    }
                },
            },
            "kind": "country_indicator",
            "detail": "partner_establishment: GB: eu_member_state = no",
            "source": "Treaty on European Union, Art. 52",
            "pointer": "/content/partners/1/country",
        }
    ],
    "hard_gate": False,
    "requires_review": False,
}
MATCH = {
    "score": 0.9857,
    "topics": ["export.risk", "mil"],
    "entry_id": "demo-wl-0001",
    "features": [
        {"score": 0.9854, "detail": "weighted token alignment", "feature": "name.tokens"},
        {"score": 0.987, "detail": "token_sort_ratio", "feature": "name.fuzzy"},
    ],
    "list_key": "demo-funder-watchlist",
    "list_kind": "watchlist",
    "query_ref": PARTNER_REF,
    "query_name": "Northbridge Institut for Applied Photonics",
    "list_version": "demo-2025-01",
    "matched_name": "Northbridge Institute of Applied Photonics",
    "control_chain": [],
    "entry_caption": "Northbridge Institute of Applied Photonics",
    "identifier_match": False,
    "listed_controller_id": None,
}
FLAGS = [WATCHLIST_FLAG, CLASSIFIER_FLAG, COUNTRY_FLAG]
ROUTE = {
    "level": "high",
    "four_eyes": True,
    "reviewers": ["case_officer", "security_adviser"],
    "sla_level": "high",
    "routing_version": "2026.1",
    "referral_allowed": False,
}


def case(status: str = "open", assignees: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    assignees = assignees or []
    state = {
        "level": "high",
        "status": status,
        "decision": None,
        "measures": {},
        "referral": None,
        "assignees": assignees,
        "proposed_decision": None,
        "appraisal_recorded": False,
        "open_information_request": None,
    }
    state.update(kw.pop("state", {}))
    body = {
        "id": CASE_ID,
        "case_ref": "RSC-59605AF2-V1",
        "proposal_id": "59605af2-63fb-4dcf-abe7-31619dab760f",
        "version": 1,
        "call_identifier": "DEMO-2027-RIA-01",
        "programme": "Demo Research Programme",
        "level": "high",
        "status": status,
        "auto_cleared": False,
        "flag_count": 3,
        "assignees": assignees,
        "received_at": "2026-12-06T21:27:41.428503Z",
        "opened_at": "2026-12-06T21:27:41.436519Z",
        "decided_at": None,
        "cleared_at": None,
        "closed_at": None,
        "sla": sla(timedelta(days=40)),
        "route": ROUTE,
        "state": state,
        "decision": None,
        "measures": [],
        "screening": {
            "id": SCREENING_ID,
            "level": "high",
            "policy_version": "2026.1-demo",
            "reference_versions": {"classifier": "rules1-2026.11.1-r1-93e13eb4", "safeguards": "2026.1"},
            "flags": copy.deepcopy(FLAGS),
            "categories": [
                {"flags": [], "level": "low", "score": 0.0, "category": "applicant_organisation"},
                {
                    "flags": [copy.deepcopy(CLASSIFIER_FLAG)],
                    "level": "high",
                    "score": 5.0,
                    "category": "research_domain",
                },
                {"flags": [copy.deepcopy(COUNTRY_FLAG)], "level": "low", "score": 0.0, "category": "third_country"},
                {
                    "flags": [copy.deepcopy(WATCHLIST_FLAG)],
                    "level": "medium",
                    "score": 3.0,
                    "category": "partner_organisation",
                },
            ],
            "safeguards": [
                {
                    "title": "Compartmentalisation (need-to-know, need-to-be, physical or IT separation)",
                    "measure_id": "compartmentalisation",
                    "triggered_by": ["partner.watchlist_match"],
                },
                {
                    "title": "Data, IP and technology-transfer plan",
                    "measure_id": "data_ip_transfer_plan",
                    "triggered_by": ["domain.priority_critical_technology_area"],
                },
            ],
            "matches": [copy.deepcopy(MATCH)],
            "warnings": ["country profiles example-2026.1 are example data: not for real decisions"],
        },
        "timeline": [
            {
                "seq": 1,
                "action": "open",
                "actor": "rsc-appraisal-workflow",
                "actor_roles": ["service"],
                "from_status": "screening",
                "to_status": "open",
                "summary": "case opened at level high with 3 flag(s)",
                "before": {},
                "after": {},
                "details": {},
                "at": "2026-12-06T21:27:41.436519Z",
            },
        ],
        "linked_cases": [],
        "match_decisions": [],
        "notes": [],
    }
    body.update(kw)
    return body


SCREENING = {
    "id": SCREENING_ID,
    "result": {
        "organisations": {PARTNER_REF: PARTNER_ORG, "applicant": "20c8e7cc-641c-4a20-a69d-3bcaf2a2a89a"},
        "suppressed_matches": [],
    },
}
POLICIES = [
    {
        "id": POLICY_ID,
        "kind": "policy",
        "key": "default",
        "version_label": "2026.1-demo",
        "status": "active",
        "title": "RSC default research-security screening policy",
        "source": "RSC default policy",
        "retrieved_at": None,
        "review_by": "2027-05-31",
        "review_overdue": False,
        "example_data": False,
        "sha256": "0b18",
        "summary": {
            "owner": "RSC default policy (example, adapt before use)",
            "rules": 60,
            "effective_from": "2026-06-01",
            "safeguard_catalogue": "2026.1",
        },
        "imported_by": "rsc-appraisal-seed",
        "imported_at": "2026-12-06T13:16:01Z",
        "activated_by": "rsc-appraisal-seed",
        "activated_at": "2026-12-06T13:16:01Z",
    },
]
SAFEGUARD_CATALOGUE = {  # GET /v1/safeguard-catalogue, a few of the shipped measures (catalogue order)
    "version": "2026.1",
    "title": "RSC safeguard catalogue",
    "owner": "RSC default policy (example, adapt before use)",
    "sources": [
        {
            "id": "belspo",
            "title": "BELSPO research security - how to (risk appendix, agreements, compartmentalisation)",
            "url": "https://www.belspo.be/belspo/ResearchSecurity/how_en.stm",
        },
        {
            "id": "reg-2021-821",
            "title": "Regulation (EU) 2021/821 setting up a Union regime for the control of dual-use items",
            "url": "https://eur-lex.europa.eu/eli/reg/2021/821/oj",
        },
    ],
    "measures": [
        {
            "id": "self_assessment_annex",
            "title": "Research-security self-assessment or risk appendix",
            "description": "The applicant completes (or completes again, in more depth) a research-security"
            " self-assessment or risk appendix covering the project's domain, partners and their countries,"
            " and the measures it takes.",
            "tracked_as": "Application annex",
            "sources": ["belspo"],
        },
        {
            "id": "data_ip_transfer_plan",
            "title": "Data, IP and technology-transfer plan",
            "description": "A plan stating which data, software, samples, know-how and intellectual property are"
            " shared with whom, under which conditions and through which channels.",
            "tracked_as": "Data/IP plan",
            "sources": ["belspo"],
        },
        {
            "id": "compartmentalisation",
            "title": "Compartmentalisation (need-to-know, need-to-be, physical or IT separation)",
            "description": "Access to sensitive knowledge, data, equipment and premises is limited to those who"
            " need it, with physical and IT separation where needed.",
            "tracked_as": "Access register",
            "sources": ["belspo"],
        },
        {
            "id": "export_control_classification",
            "title": "Export-control classification and licences (including intangible transfers and technical"
            " assistance)",
            "description": "Items, software and technology are classified against Annex I of Reg. (EU) 2021/821 and"
            " the required authorisations are obtained before any export, intangible transfer or technical"
            " assistance takes place.",
            "tracked_as": "Licence number, validity, conditions",
            "sources": ["reg-2021-821"],
        },
        {
            "id": "training",
            "title": "Research-security training (threat awareness, export control, cyber)",
            "description": "The project team completes research-security, export-control and cyber-security training.",
            "tracked_as": "Certificates",
            "sources": ["belspo"],
        },
    ],
}


def with_case(apis, body: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    apis.on("GET", "appraisal", f"/v1/cases/{CASE_ID}", body)
    apis.on("GET", "appraisal", f"/v1/screenings/{SCREENING_ID}", SCREENING)
    apis.on("GET", "appraisal", "/v1/safeguard-catalogue", SAFEGUARD_CATALOGUE)
