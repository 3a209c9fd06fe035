"""Who may do what in monitoring (one dependency per kind of route)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rsc_common.auth import Principal, RequireRoles, Role

# The audit log: auditors only, and only reading (the API has no route that changes it).
AuditReader = Annotated[Principal, Depends(RequireRoles(Role.auditor))]
# Deciding on a grantee's evidence, waiving an obligation.
GrantOfficer = Annotated[Principal, Depends(RequireRoles(Role.case_officer, Role.security_adviser, Role.admin))]
# Running resilience exercises, loading reference data.
Admin = Annotated[Principal, Depends(RequireRoles(Role.admin))]
# National statistics exports.
ReportingOfficer = Annotated[Principal, Depends(RequireRoles(Role.reporting_officer))]
