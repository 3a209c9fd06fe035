"""The authenticated caller, built from verified access-token claims."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rsc_common.auth.errors import AuthenticationError
from rsc_common.auth.roles import Role


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    username: str | None
    roles: frozenset[str]
    organisation_id: uuid.UUID | None
    client_id: str | None
    email: str | None
    locale: str | None

    @property
    def is_service(self) -> bool:
        return Role.service in self.roles

    def has_any(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            # Keycloak ≥25 only emits `sub` via the "basic" client scope; without it we cannot audit.
            raise AuthenticationError("token has no subject")
        realm_access = claims.get("realm_access")
        raw_roles = realm_access.get("roles") if isinstance(realm_access, Mapping) else None
        roles = frozenset(r for r in raw_roles or () if isinstance(r, str))
        return cls(
            subject=subject,
            username=_str_or_none(claims.get("preferred_username")),
            roles=roles,
            organisation_id=_uuid_or_none(claims.get("organisation_id")),
            client_id=_str_or_none(claims.get("azp")),
            email=_str_or_none(claims.get("email")),
            locale=_str_or_none(claims.get("locale")),
        )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    # A user-attribute mapper may be misconfigured as multivalued; accept a single-element list.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
