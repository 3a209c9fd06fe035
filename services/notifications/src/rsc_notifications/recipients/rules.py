"""Who hears about which event, in which category, on which side (applicant or staff).

Applicants: the person who submitted the proposal (from `proposal.submitted`), with only the
allow-listed fields. Staff: by role (Keycloak realm role members), by assignment (the case's assignees,
folded from `appraisal.case_changed`), or the role an escalation names (`to_role`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from rsc_notifications.deliveries.models import CaseAssignment, ProposalContact
from rsc_notifications.recipients.directory import Contact, Directory

APPLICANT, STAFF = "applicant", "staff"
# Categories a user cannot switch off (they carry obligations or decisions).
MANDATORY = frozenset(
    {"information_requests", "safeguards", "decisions", "grant_obligations", "exercises", "integrity"}
)
CATEGORIES = (
    "submissions", "information_requests", "decisions", "safeguards", "grant_obligations", "cases", "sla",
    "incidents", "screening", "exercises", "integrity",
)  # fmt: skip


@dataclass
class Routing:
    session: Session
    directory: Directory


Recipients = Callable[[Routing, dict[str, Any]], list[Contact]]


@dataclass(frozen=True)
class Route:
    message: str  # key in the message catalogue
    category: str
    audience: str
    recipients: Recipients
    when: Callable[[dict[str, Any]], bool] = field(default=lambda d: True)
    link: Callable[[dict[str, Any]], str] = field(default=lambda d: "/")


def submitter(r: Routing, d: dict[str, Any]) -> list[Contact]:
    contact = r.session.get(ProposalContact, d.get("proposal_id"))
    user = r.directory.user(contact.submitted_by) if contact else None
    return [user] if user else []


def role(name: str) -> Recipients:
    return lambda r, d: r.directory.role_members(name)


def escalation_role(r: Routing, d: dict[str, Any]) -> list[Contact]:
    return r.directory.role_members(d["to_role"]) if d.get("to_role") else []


def case_assignees(r: Routing, d: dict[str, Any]) -> list[Contact]:
    row = r.session.get(CaseAssignment, (d.get("proposal_id"), d.get("version")))
    return [c for s in (row.assignees if row else []) if (c := r.directory.user(s))]


def new_assignees(r: Routing, d: dict[str, Any]) -> list[Contact]:
    return [c for s in d.get("assignees", []) if s != d.get("actor") and (c := r.directory.user(s))]


def all_assignees(r: Routing, d: dict[str, Any]) -> list[Contact]:
    return [c for s in d.get("assignees", []) if (c := r.directory.user(s))]


def participants(r: Routing, d: dict[str, Any]) -> list[Contact]:
    return [c for s in d.get("participants", []) if (c := r.directory.user(s))]


def proposal_link(d: dict[str, Any]) -> str:
    return f"/proposals/{d.get('proposal_id')}"


def case_link(d: dict[str, Any]) -> str:
    return f"/cases?proposal_id={d.get('proposal_id')}"


ASSIGNMENT_ACTIONS = {"assign", "reassign", "bulk_reassign"}

ROUTES: dict[str, list[Route]] = {
    "proposal.submitted": [Route("submitted", "submissions", APPLICANT, submitter, link=proposal_link)],
    "appraisal.information_requested": [
        Route("information_requested", "information_requests", APPLICANT, submitter, link=proposal_link)
    ],
    "appraisal.status_changed": [Route("status_changed", "decisions", APPLICANT, submitter, link=proposal_link)],
    "safeguards.proposed": [Route("safeguards_proposed", "safeguards", APPLICANT, submitter, link=proposal_link)],
    "appraisal.case_changed": [
        Route(
            "case_opened",
            "cases",
            STAFF,
            role("case_officer"),
            when=lambda d: d.get("action") == "open",
            link=case_link,
        ),
        # the reviewers' turn again: the applicant answered, a colleague decided (four-eyes), the
        # applicant responded to a safeguard, the case is cleared and can be awarded
        Route(
            "case_information_provided",
            "cases",
            STAFF,
            new_assignees,
            when=lambda d: d.get("action") == "information_provided",
            link=case_link,
        ),
        Route(
            "case_decision_to_confirm",
            "cases",
            STAFF,
            new_assignees,
            when=lambda d: d.get("action") == "decide",
            link=case_link,
        ),
        Route(
            "case_safeguard_response",
            "cases",
            STAFF,
            new_assignees,
            when=lambda d: d.get("action") == "applicant_safeguard_response",
            link=case_link,
        ),
        Route(
            "case_cleared",
            "cases",
            STAFF,
            all_assignees,
            when=lambda d: (
                d.get("to_status") == "cleared"
                and d.get("from_status") != "cleared"
                and d.get("action") != "auto_clear"
            ),
            link=case_link,
        ),
        # high and very high need an adviser too (four-eyes): they hear about it at once
        Route(
            "case_opened",
            "cases",
            STAFF,
            role("security_adviser"),
            when=lambda d: d.get("action") == "open" and d.get("level") in ("high", "very_high"),
            link=case_link,
        ),
        Route(
            "case_assigned",
            "cases",
            STAFF,
            new_assignees,
            when=lambda d: d.get("action") in ASSIGNMENT_ACTIONS,
            link=case_link,
        ),
    ],
    "audit.integrity_alert": [
        Route("integrity_alert", "integrity", STAFF, role("auditor"), link=lambda d: "/audit"),
        Route("integrity_alert", "integrity", STAFF, role("admin"), link=lambda d: "/audit"),
    ],
    "sla.reminder": [Route("sla_reminder", "sla", STAFF, case_assignees, link=case_link)],
    "sla.escalated": [Route("sla_escalated", "sla", STAFF, escalation_role, link=case_link)],
    "sla.breached": [Route("sla_breached", "sla", STAFF, role("appraisal_supervisor"), link=case_link)],
    "appraisal.new_list_hit": [Route("list_hit", "screening", STAFF, role("security_adviser"), link=case_link)],
    "grant.deadline": [
        Route(
            "grant_deadline",
            "grant_obligations",
            APPLICANT,
            submitter,
            when=lambda d: d.get("kind") != "escalated",
            link=lambda d: f"/grants/{d.get('grant_reference')}",
        ),
        Route(
            "grant_escalated",
            "grant_obligations",
            STAFF,
            escalation_role,
            when=lambda d: d.get("kind") == "escalated",
            link=lambda d: f"/grants/{d.get('grant_reference')}",
        ),
    ],
    "incident.reported": [
        Route(
            "incident_reported",
            "incidents",
            STAFF,
            role("security_adviser"),
            when=lambda d: not d.get("exercise"),
            link=lambda d: f"/incidents/{d.get('incident_id')}",
        ),
    ],
    "incident.deadline": [
        Route(
            "incident_escalated",
            "incidents",
            STAFF,
            escalation_role,
            when=lambda d: d.get("kind") == "escalated" and not d.get("exercise"),
            link=lambda d: f"/incidents/{d.get('incident_id')}",
        ),
    ],
    "exercise.started": [Route("exercise_started", "exercises", STAFF, participants, link=lambda d: "/incidents")],
}
