"""The signed-in user's session: who they are (from the verified access token) and their tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from rsc_common.auth import Principal


@dataclass
class PortalSession:
    subject: str
    username: str
    roles: list[str]
    organisation_id: str | None
    locale: str | None
    access_token: str
    refresh_token: str
    access_expires_at: float
    refresh_expires_at: float
    started_at: float = field(default_factory=time.time)
    # The synchroniser token every form and htmx request must carry (see csrf.py).
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def has_any(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PortalSession | None:
        try:
            return cls(**data)
        except TypeError:
            return None  # a cookie from an older portal version: sign in again

    @classmethod
    def from_tokens(cls, principal: Principal, tokens: dict[str, Any], *, csrf: str | None = None) -> PortalSession:
        now = time.time()
        session = cls(
            subject=principal.subject,
            username=principal.username or principal.subject,
            roles=sorted(principal.roles),
            organisation_id=str(principal.organisation_id) if principal.organisation_id else None,
            locale=principal.locale,
            access_token=tokens["access_token"],
            refresh_token=tokens.get("refresh_token", ""),
            access_expires_at=now + float(tokens.get("expires_in", 60)),
            refresh_expires_at=now + float(tokens.get("refresh_expires_in", 0) or 0),
        )
        if csrf:
            session.csrf = csrf
        return session
