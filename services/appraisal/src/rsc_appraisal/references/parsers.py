"""From an uploaded file (or a shipped one) to a validated reference dataset, or a 422 problem.

The parsing itself lives in the domain packages; this module turns their results into
`ReferenceDataset` rows and their errors into RFC 9457 problems listing every issue with its
location (line, column, JSON pointer or XPath-like path).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query

from rsc_appraisal.countries import CountryProfileImportError, default_indicator_set, parse_country_profiles
from rsc_appraisal.countries.importer import EXAMPLE_PROFILES_PATH
from rsc_appraisal.engine.contracts import ListKind, ListVersionData
from rsc_appraisal.policy import Policy, PolicyError, default_safeguard_catalogue, parse_policy, policy_json_schema
from rsc_appraisal.policy.loader import DEFAULT_POLICY_PATH, policy_document
from rsc_appraisal.references.models import DatasetKind, ReferenceDataset
from rsc_appraisal.watchlists.importers import ListImportError, import_list
from rsc_appraisal.watchlists.importers.demo import load_demo_lists
from rsc_common.http.problem import ProblemError

DEFAULT_KEY = "default"
LIST_KEY = Path(pattern=r"^[a-z0-9][a-z0-9_.-]{1,63}$", description="Stable key of the list, e.g. eu-fsf")
ListKindQuery = Annotated[ListKind | None, Query(description="Default: sanctions for EU/FtM, watchlist for CSV")]


def _sha(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError(422, "invalid-encoding", f"the file is not UTF-8 (byte {exc.start})") from None


def _invalid(slug: str, detail: str, errors: list[dict[str, Any]]) -> ProblemError:
    return ProblemError(422, slug, detail, errors=errors)


# ---------------------------------------------------------------------------------- policies


def policy_from_bytes(raw: bytes, content_type: str = "", name: str = "policy") -> Policy:
    fmt = "json" if "json" in content_type else "yaml"
    try:
        return parse_policy(
            _text(raw),
            name=name,
            fmt=fmt,
            indicators=default_indicator_set(),
            catalogue=default_safeguard_catalogue(),
        )
    except PolicyError as exc:
        raise _invalid(
            "invalid-policy",
            f"the policy was not loaded: {len(exc.issues)} problem(s)",
            [{"location": i.where, "line": i.line, "message": i.message} for i in exc.issues[:100]],
        ) from None


def policy_dataset(raw: bytes, content_type: str, actor: str) -> ReferenceDataset:
    policy = policy_from_bytes(raw, content_type)
    return ReferenceDataset(
        kind=DatasetKind.policy,
        key=DEFAULT_KEY,
        version_label=policy.version,
        title=policy.title,
        source=f"{policy.owner}; sources: " + ", ".join(s.id for s in policy.sources),
        review_by=policy.review_by,
        sha256=_sha(raw),
        summary={
            "rules": len(policy.rules),
            "owner": policy.owner,
            "effective_from": policy.effective_from.isoformat(),
            "safeguard_catalogue": policy.safeguard_catalogue,
            "indicator_set": policy.indicator_set,
        },
        document=policy_document(policy),
        imported_by=actor,
    )


def default_policy_dataset(actor: str) -> ReferenceDataset:
    raw = DEFAULT_POLICY_PATH.read_bytes()
    return policy_dataset(raw, "application/yaml", actor)


DEMO_POLICY_SUFFIX = "-demo"


def demo_policy_dataset(actor: str) -> ReferenceDataset:
    """The default policy with auto-clearance allowed on the shipped example country data, for the local
    demo only (`seed --demo`): without it, nothing is ever cleared automatically until real country
    profiles are imported. Its version says so ("2026.1-demo"), and so does every screening made with it."""
    text = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    replacements = {
        'version: "2026.1"': f'version: "2026.1{DEMO_POLICY_SUFFIX}"',
        "allow_with_example_data: false": "allow_with_example_data: true",
        "title: RSC default research-security screening policy": (
            "title: RSC default research-security screening policy (LOCAL DEMO - auto-clear on example data)"
        ),
    }
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"the default policy no longer contains {old!r}: update demo_policy_dataset")
        text = text.replace(old, new, 1)
    return policy_dataset(text.encode("utf-8"), "application/yaml", actor)


def policy_json_schema_document() -> dict[str, Any]:
    return policy_json_schema()


# --------------------------------------------------------------------------- country profiles


def country_profiles_dataset(
    raw: bytes,
    version_label: str | None,
    source: str,
    example_data: bool | None,
    actor: str,
    *,
    imported_at: datetime | None = None,
) -> ReferenceDataset:
    imported_at = imported_at or datetime.now(UTC)
    try:
        profiles = parse_country_profiles(
            _text(raw),
            source_name=source,
            imported_at=imported_at,
            version_label=version_label,
            example_data=example_data,
        )
    except CountryProfileImportError as exc:
        raise _invalid(
            "invalid-country-profiles",
            f"the country profiles were not imported: {len(exc.issues)} problem(s)",
            [
                {"location": f"line {i.line}" if i.line else "(file)", "line": i.line, "message": i.message}
                for i in exc.issues[:100]
            ],
        ) from None
    return ReferenceDataset(
        kind=DatasetKind.country_profiles,
        key=DEFAULT_KEY,
        version_label=profiles.version_label,
        title=f"Country profiles {profiles.version_label}",
        source=profiles.source,
        retrieved_at=imported_at,
        example_data=profiles.example_data,
        sha256=_sha(raw),
        summary={"countries": len(profiles.profiles), "indicators": list(profiles.indicator_names)},
        document=profiles.model_dump(mode="json"),
        imported_by=actor,
    )


def example_country_dataset(actor: str) -> ReferenceDataset:
    raw = EXAMPLE_PROFILES_PATH.read_bytes()
    # a fixed import instant, so the stored example set is identical on every installation
    return country_profiles_dataset(
        raw, None, EXAMPLE_PROFILES_PATH.name, None, actor, imported_at=datetime(2026, 2, 1, tzinfo=UTC)
    )


# ------------------------------------------------------------------------------ entity lists


def entity_list(raw: bytes, file_format: str, **provenance: Any) -> ListVersionData:
    try:
        return import_list(raw, file_format, **provenance).data
    except ListImportError as exc:
        raise _invalid(
            "invalid-entity-list",
            f"the list was not imported: {len(exc.problems)}{'+' if exc.truncated else ''} problem(s)",
            [{"location": p.location, "line": p.line, "message": p.message} for p in exc.problems],
        ) from None
    except ValueError as exc:  # provenance arguments (e.g. a version label the format needs)
        raise ProblemError(422, "invalid-entity-list", str(exc)) from None


def demo_lists() -> list[tuple[ListVersionData, str, str]]:
    return [(d.result.data, d.sha256, d.spec.file_format) for d in load_demo_lists()]
