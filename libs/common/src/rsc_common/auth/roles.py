"""Realm roles of the `rsc` Keycloak realm (``realm_access.roles`` in access tokens)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    applicant = "applicant"
    case_officer = "case_officer"
    security_adviser = "security_adviser"
    # receives SLA and deadline escalations (the escalation role of the SLA and monitoring configs)
    appraisal_supervisor = "appraisal_supervisor"
    auditor = "auditor"
    reporting_officer = "reporting_officer"
    admin = "admin"
    # Carried by the service accounts of our own clients (client-credentials tokens).
    service = "service"
