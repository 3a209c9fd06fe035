"""Canonical organisation keys: one organisation record per partner across proposals."""

from __future__ import annotations

from rsc_appraisal.matching.normalise import normalise_identifiers, normalise_names

__all__ = ["KEY_SCHEMES", "organisation_key"]

# Identifier schemes that make a key, strongest first. Registration numbers are left out: they are unique only
# within one registry and are often written inconsistently.
KEY_SCHEMES: tuple[str, ...] = ("lei", "ror", "pic", "vat")


def organisation_key(name: str, identifiers: dict[str, str], country: str | None) -> tuple[str, str]:
    """(kind, key) for an organisation: ("identifier", "lei:<LEI>") from the strongest identifier present
    (lei > ror > pic > vat, normalised as for matching), else ("name", "<COUNTRY or ->:<tokens>") from the
    normalised name: transliterated, casefolded, punctuation, stop words and legal forms removed, tokens
    sorted, so "Acme GmbH", "ACME Gesellschaft mit beschränkter Haftung" and "Acme" in one country share a
    key, and so do "University of Valdoria" and "Valdoria University". Bracketed parts (acronyms) are ignored.

    Keys change only when rigour's normalisation data changes (the version is pinned in uv.lock)."""
    ids = normalise_identifiers(identifiers or {})
    for scheme in KEY_SCHEMES:
        if scheme in ids:
            return ("identifier", f"{scheme}:{ids[scheme]}")
    prefix = (country or "").strip().upper() or "-"
    names = normalise_names([name])
    if names:
        return ("name", f"{prefix}:{' '.join(sorted(names[0].tokens))}")
    return ("name", f"{prefix}:{' '.join(name.casefold().split())}")
