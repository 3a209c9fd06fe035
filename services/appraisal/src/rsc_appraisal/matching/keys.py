"""Canonical organisation keys: one organisation record per partner across proposals."""

from __future__ import annotations

from dataclasses import dataclass

from rsc_appraisal.matching.normalise import normalise_identifiers, normalise_names

__all__ = ["KEY_SCHEMES", "OrganisationKeys", "organisation_key", "organisation_keys"]

# Identifier schemes that make a key, strongest first. Registration numbers are left out: they are unique only
# within one registry and are often written inconsistently.
KEY_SCHEMES: tuple[str, ...] = ("lei", "ror", "pic", "vat")


@dataclass(frozen=True, slots=True)
class OrganisationKeys:
    """Every key an organisation declaration can be recognised by: its identifiers of the key schemes as
    ("<scheme>", "<scheme>:<value>"), strongest scheme first, and its name key "<COUNTRY or ->:<tokens>"."""

    identifiers: tuple[tuple[str, str], ...]
    name: str

    @property
    def primary(self) -> tuple[str, str]:
        """("identifier", strongest identifier key) or ("name", name key): the key of a new record."""
        if self.identifiers:
            return ("identifier", self.identifiers[0][1])
        return ("name", self.name)


def name_key(name: str, country: str | None) -> str:
    prefix = (country or "").strip().upper() or "-"
    names = normalise_names([name])
    if names:
        return f"{prefix}:{' '.join(sorted(names[0].tokens))}"
    return f"{prefix}:{' '.join(name.casefold().split())}"


def organisation_keys(name: str, identifiers: dict[str, str], country: str | None) -> OrganisationKeys:
    """Identifiers (lei > ror > pic > vat, normalised as for matching) and the normalised name key: name
    transliterated, casefolded, punctuation, stop words and legal forms removed, tokens sorted, so "Acme GmbH",
    "ACME Gesellschaft mit beschränkter Haftung" and "Acme" in one country share a key, and so do "University of
    Valdoria" and "Valdoria University". Bracketed parts (acronyms) are ignored.

    Keys change only when rigour's normalisation data changes (the version is pinned in uv.lock)."""
    ids = normalise_identifiers(identifiers or {})
    return OrganisationKeys(
        identifiers=tuple((scheme, f"{scheme}:{ids[scheme]}") for scheme in KEY_SCHEMES if scheme in ids),
        name=name_key(name, country),
    )


def organisation_key(name: str, identifiers: dict[str, str], country: str | None) -> tuple[str, str]:
    """(kind, key) for an organisation: ("identifier", "lei:<LEI>") from the strongest identifier present,
    else ("name", "<COUNTRY or ->:<tokens>") from the normalised name (`organisation_keys`). A canonical record is
    found by any of its keys (organisations/service.py); this one is the key it is created with."""
    return organisation_keys(name, identifiers, country).primary
