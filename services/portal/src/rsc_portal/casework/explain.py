"""The screening result of a case, explained factor by factor for officers: the four risk-factor
categories in the Recommendation's order, each with its flags and their evidence made readable (matched
entity-list entries with scores, classifier phrases with confidence, country indicators, declarations),
the list matches with the officers' match decisions, and the recommended safeguards with their reasons.

Input: `screening` of `GET /v1/cases/{id}` (the engine's ScreeningResult plus `matches`), optionally the
`organisations` map (query ref -> canonical organisation id) of `GET /v1/screenings/{id}` and the case's
`match_decisions`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("applicant_organisation", "research_domain", "third_country", "partner_organisation")
LEVELS = ("low", "medium", "high", "very_high")
_PARTNER_POINTER = re.compile(r"^/content/partners/(\d+)")


@dataclass
class Subject:
    kind: str  # proposal | applicant | partner | researcher | other
    name: str | None = None
    position: int | None = None  # 1-based partner number in the proposal
    raw: str = ""


@dataclass
class EvidenceRow:
    kind: str
    detail: str
    pointer: str | None
    source: str | None
    match: dict[str, Any] | None = None
    classifier: dict[str, Any] | None = None
    indicators: list[dict[str, Any]] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class FlagRow:
    rule_id: str
    title: str
    level: str
    weight: float
    hard_gate: bool
    requires_review: bool
    subject: Subject
    evidence: list[EvidenceRow]


@dataclass
class CategoryRow:
    category: str
    level: str
    score: float
    flags: list[FlagRow]
    phrases: list[dict[str, Any]]  # classifier signals found in this category's evidence


@dataclass
class MatchRow:
    key: str  # unique in the page (ids of forms and fields)
    query_ref: str
    query_name: str
    organisation_id: str | None
    list_key: str
    list_version: str
    list_kind: str
    entry_id: str
    entry_caption: str
    matched_name: str
    score: float
    identifier_match: bool
    topics: list[str]
    features: list[dict[str, Any]]
    control_chain: list[dict[str, Any]]
    decision: dict[str, Any] | None  # the latest officer decision on (organisation, list, entry)


@dataclass
class SafeguardRow:
    measure_id: str
    title: str
    triggered_by: list[tuple[str, str]]  # (rule id, flag title)


@dataclass
class Explanation:
    level: str | None
    policy_version: str | None
    reference_versions: dict[str, str]
    warnings: list[str]
    categories: list[CategoryRow]
    matches: list[MatchRow]
    safeguards: list[SafeguardRow]
    suppressed: int = 0

    @property
    def flag_count(self) -> int:
        return sum(len(c.flags) for c in self.categories)


def _names_by_ref(matches: list[dict[str, Any]]) -> dict[str, str]:
    return {m["query_ref"]: m.get("query_name", "") for m in matches if m.get("query_ref")}


def subject_of(ref: str, evidence: list[dict[str, Any]], names: dict[str, str]) -> Subject:
    if ref in ("proposal", "applicant"):
        return Subject(ref, raw=ref)
    kind = ref.split(":", 1)[0] if ":" in ref else "other"
    position = None
    for item in evidence:
        found = _PARTNER_POINTER.match(item.get("pointer") or "")
        if found:
            position = int(found.group(1)) + 1
            break
    name = names.get(ref) or (names.get(ref.split("/", 1)[0]) if kind == "partner" else None)
    return Subject(kind if kind in ("partner", "researcher") else "other", name, position, ref)


def _evidence_row(item: dict[str, Any]) -> EvidenceRow:
    data = item.get("data") or {}
    kind = str(item.get("kind") or "")
    row = EvidenceRow(
        kind=kind, detail=str(item.get("detail") or ""), pointer=item.get("pointer"), source=item.get("source")
    )
    if kind in ("list_match", "ownership_chain"):
        row.match = {
            "list_key": data.get("list_key"),
            "list_version": data.get("list_version"),
            "list_kind": data.get("list_kind"),
            "entry_id": data.get("entry_id"),
            "entry_caption": data.get("entry_caption"),
            "score": float(data.get("score") or 0.0),
            "identifier_match": bool(data.get("identifier_match")),
            "topics": list(data.get("topics") or []),
            "control_chain": list(data.get("control_chain") or []),
        }
    elif "phrases" in data:
        row.classifier = {
            "area": data.get("area"),
            "dual_use_category": data.get("dual_use_category"),
            "confidence": data.get("confidence"),
            "phrases": list(data.get("phrases") or []),
            "technologies": list(data.get("technologies") or []),
        }
    if isinstance(data.get("indicators"), dict):
        row.indicators = [
            {
                "name": name,
                "value": (v or {}).get("value"),
                "source": (v or {}).get("source"),
                "retrieved": (v or {}).get("retrieved"),
                "country": data.get("country"),
            }
            for name, v in data["indicators"].items()
        ]
    if kind == "combination":
        row.rules = [str(r) for r in data.get("rules") or []]
    return row


def _latest_decisions(decisions: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Append-only decisions: the latest per (organisation, list, entry) counts."""
    ordered = sorted(decisions, key=lambda d: str(d.get("decided_at") or ""), reverse=True)
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for d in ordered:
        latest.setdefault((str(d.get("organisation_id")), str(d.get("list_key")), str(d.get("entry_id"))), d)
    return latest


def explain(
    screening: dict[str, Any] | None,
    *,
    organisations: dict[str, str] | None = None,
    match_decisions: list[dict[str, Any]] | None = None,
    suppressed: int = 0,
) -> Explanation:
    screening = screening or {}
    matches = list(screening.get("matches") or [])
    names = _names_by_ref(matches)
    flags = list(screening.get("flags") or [])
    by_category = {c.get("category"): c for c in screening.get("categories") or []}
    categories = []
    for name in CATEGORIES:
        source = by_category.get(name) or {}
        category_flags = source.get("flags")
        if category_flags is None:
            category_flags = [f for f in flags if f.get("category") == name]
        rows, phrases = [], []
        for f in sorted(category_flags, key=lambda f: (-_rank(f.get("level")), f.get("rule_id", ""))):
            evidence = list(f.get("evidence") or [])
            rows.append(
                FlagRow(
                    rule_id=str(f.get("rule_id", "")),
                    title=str(f.get("title", "")),
                    level=str(f.get("level", "low")),
                    weight=float(f.get("weight") or 0.0),
                    hard_gate=bool(f.get("hard_gate")),
                    requires_review=bool(f.get("requires_review", True)),
                    subject=subject_of(str(f.get("subject", "")), evidence, names),
                    evidence=[_evidence_row(e) for e in evidence],
                )
            )
            for e in rows[-1].evidence:
                if e.classifier and e.classifier not in phrases:
                    phrases.append(e.classifier)
        categories.append(
            CategoryRow(
                name, str(source.get("level") or _max_level(rows)), float(source.get("score") or 0.0), rows, phrases
            )
        )
    latest = _latest_decisions(match_decisions or [])
    organisations = organisations or {}
    match_rows = []
    for i, m in enumerate(sorted(matches, key=lambda m: -float(m.get("score") or 0.0))):
        org = organisations.get(m.get("query_ref", ""))
        match_rows.append(
            MatchRow(
                key=f"m{i + 1}",
                query_ref=str(m.get("query_ref", "")),
                query_name=str(m.get("query_name", "")),
                organisation_id=org,
                list_key=str(m.get("list_key", "")),
                list_version=str(m.get("list_version", "")),
                list_kind=str(m.get("list_kind", "")),
                entry_id=str(m.get("entry_id", "")),
                entry_caption=str(m.get("entry_caption", "")),
                matched_name=str(m.get("matched_name", "")),
                score=float(m.get("score") or 0.0),
                identifier_match=bool(m.get("identifier_match")),
                topics=list(m.get("topics") or []),
                features=list(m.get("features") or []),
                control_chain=list(m.get("control_chain") or []),
                decision=latest.get((str(org), str(m.get("list_key")), str(m.get("entry_id")))) if org else None,
            )
        )
    titles = {f.get("rule_id"): f.get("title", "") for f in flags}
    safeguards = [
        SafeguardRow(
            measure_id=str(s.get("measure_id", "")),
            title=str(s.get("title") or s.get("measure_id", "")),
            triggered_by=[(r, str(titles.get(r, ""))) for r in s.get("triggered_by") or []],
        )
        for s in screening.get("safeguards") or []
    ]
    return Explanation(
        level=screening.get("level"),
        policy_version=screening.get("policy_version"),
        reference_versions=dict(screening.get("reference_versions") or {}),
        warnings=list(screening.get("warnings") or []),
        categories=categories,
        matches=match_rows,
        safeguards=safeguards,
        suppressed=suppressed,
    )


def _rank(level: Any) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def _max_level(rows: list[FlagRow]) -> str:
    return LEVELS[max((_rank(r.level) for r in rows), default=0)]
