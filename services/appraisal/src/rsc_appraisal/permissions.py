"""Who may do what in appraisal (one dependency per kind of route)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rsc_common.auth import Principal, RequireRoles, Role

# Screening results, list matches and canonical organisations are need-to-know funder data: never
# applicants; reporting officers get statistics elsewhere, not case data.
ScreeningReader = Annotated[
    Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin, Role.auditor))
]
# Running the engine (re-run, preview, policy comparison) and deciding on matches.
ScreeningOperator = Annotated[Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser))]
PolicyAnalyst = Annotated[Principal, Depends(RequireRoles(Role.security_adviser, Role.admin))]
# Loading and activating policies and reference data.
ReferenceAdmin = Annotated[Principal, Depends(RequireRoles(Role.admin))]
# The officer queue and case detail (notes within it need to be known: see cases.queries.may_read_notes).
CaseReader = Annotated[
    Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin, Role.auditor))
]
# Acting on cases; the workflow then checks the case-specific rules (assignment, four-eyes, ...).
CaseWorker = Annotated[Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin))]
# The safeguard catalogue (the measures a decision may propose): those who act on cases.
SafeguardCatalogueReader = Annotated[
    Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin))
]
# Aggregate figures only (no case data): reporting officers too.
StatisticsReader = Annotated[
    Principal,
    Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin, Role.auditor, Role.reporting_officer)),
]
