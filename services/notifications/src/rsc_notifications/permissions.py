"""Who may do what in notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from rsc_common.auth import Principal, RequireRoles, Role

# Webhook subscriptions and their dead letters.
Admin = Annotated[Principal, Depends(RequireRoles(Role.admin))]
