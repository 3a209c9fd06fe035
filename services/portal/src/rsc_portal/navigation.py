"""The main navigation: each entry is shown to the roles it serves (the page itself checks again)."""

from __future__ import annotations

from dataclasses import dataclass

from rsc_portal.security.session import PortalSession


@dataclass(frozen=True)
class NavEntry:
    label: str  # catalogue key
    href: str
    roles: tuple[str, ...]


ENTRIES = (
    NavEntry("nav.my_proposals", "/proposals", ("applicant",)),
    NavEntry("nav.new_proposal", "/proposals/new", ("applicant",)),
    NavEntry("nav.my_grants", "/grants", ("applicant",)),
    NavEntry("nav.queue", "/cases", ("case_officer", "security_adviser")),
    NavEntry("nav.incidents", "/incidents", ("case_officer", "security_adviser")),
    NavEntry("nav.policies", "/policies", ("case_officer", "security_adviser", "admin")),
    NavEntry("nav.audit", "/audit", ("auditor",)),
    NavEntry("nav.reports", "/reports", ("reporting_officer",)),
    NavEntry("nav.admin", "/admin", ("admin",)),
    NavEntry("nav.inbox", "/inbox", ()),  # everyone signed in
)


def entries_for(session: PortalSession | None) -> list[NavEntry]:
    if session is None:
        return []
    return [e for e in ENTRIES if not e.roles or session.has_any(*e.roles)]
