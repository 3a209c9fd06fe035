"""Phrase rules (data/rules.yaml): models, validation against the taxonomy, and the compiled
phrase index used by the classifier. The file format is documented at the top of rules.yaml."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from rsc_appraisal.classification.normalize import Segment, compact_key, fold, spelling, stem, strip_accents
from rsc_appraisal.classification.taxonomy import (
    DATA_DIR,
    Taxonomy,
    TaxonomyError,
    format_validation_error,
    read_yaml,
)
from rsc_common.contracts.vocabulary import CriticalTechnologyArea, DualUseCategory

RULES_FILE = DATA_DIR / "rules.yaml"
MAX_KEY_TOKENS = 8  # a phrase key may be spread over at most this many text tokens
_PHRASE_TOKEN = re.compile(r"[^\W_]+\*?")
_ACRONYM_TOKEN = re.compile(r"[^\W_]+")

Weight = Annotated[float, Field(gt=0, le=1)]
# A phrase: "text" (the group's weight) or {"text": weight}.
PhraseItem = str | dict[str, Weight]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Context(_Model):
    terms: Annotated[tuple[str, ...], Field(min_length=1)]
    window: Annotated[int, Field(ge=1, le=200)] | None = Field(
        description="Tokens either side, in the same field; null = anywhere in the proposal."
    )


class RuleGroup(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")]
    technology: str | None = None
    area: str | None = None
    weight: Weight
    dual_use: dict[DualUseCategory, Weight] = {}
    phrases: tuple[PhraseItem, ...] = ()
    acronyms: tuple[PhraseItem, ...] = ()
    unless: Context | tuple[Context, ...] | None = None
    only_with: Context | None = None
    note: str = ""

    @field_validator("phrases", "acronyms")
    @classmethod
    def _single_key(cls, items: tuple[PhraseItem, ...]) -> tuple[PhraseItem, ...]:
        for item in items:
            if isinstance(item, dict) and len(item) != 1:
                raise ValueError(f"a weighted phrase is a one-entry mapping {{phrase: weight}}, got {item!r}")
        return items

    @model_validator(mode="after")
    def _target(self) -> RuleGroup:
        if self.technology and self.area:
            raise ValueError("give `technology` or `area`, not both (the technology implies its area)")
        if not (self.technology or self.area or self.dual_use):
            raise ValueError("a group needs a `technology`, an `area` or `dual_use` categories")
        if not (self.phrases or self.acronyms):
            raise ValueError("a group needs at least one phrase or acronym")
        return self


class Damper(_Model):
    """When one of `terms` occurs anywhere in the proposal, every confidence is multiplied by `factor`
    (e.g. a survey of public attitudes to AI is about AI as a social phenomenon, not AI research)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    terms: Annotated[tuple[str, ...], Field(min_length=1)]
    factor: Annotated[float, Field(gt=0, lt=1)]


class Negatives(_Model):
    phrases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()


class RuleSet(_Model):
    version: Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,15}$")]
    taxonomy_version: str
    negatives: Negatives = Negatives()
    dampers: tuple[Damper, ...] = ()
    groups: Annotated[tuple[RuleGroup, ...], Field(min_length=1)]

    _digest: str = PrivateAttr(default="")

    @property
    def digest(self) -> str:
        """SHA-256 of the file it was loaded from ("" if built in code)."""
        return self._digest


def _items(items: tuple[PhraseItem, ...], default: float) -> list[tuple[str, float]]:
    out = []
    for item in items:
        if isinstance(item, dict):
            ((text, weight),) = item.items()
            out.append((str(text), float(weight)))
        else:
            out.append((str(item), default))
    return out


# ------------------------------------------------------------------------------ phrase index


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled phrase. kind "key": case-insensitive, separators flexible (compact key);
    "wild": token by token, tokens ending in * are prefixes; "exact": case-sensitive tokens."""

    kind: Literal["key", "wild", "exact"]
    text: str
    key: str = ""
    tokens: tuple[str, ...] = ()


def compile_phrase(text: str) -> Pattern:
    """Raises ValueError with a readable reason."""
    folded = fold(text)
    parts = _PHRASE_TOKEN.findall(folded)
    if not parts:
        raise ValueError(f"phrase {text!r} has no letters or digits")
    if any(p.endswith("*") for p in parts):
        short = [p for p in parts if p.endswith("*") and len(p) < 4]
        if short:
            raise ValueError(f"phrase {text!r}: a prefix needs at least 3 letters before `*`")
        return Pattern("wild", text, tokens=tuple(parts))
    return Pattern("key", text, key=compact_key(parts))


def compile_acronym(text: str) -> Pattern:
    parts = _ACRONYM_TOKEN.findall(strip_accents(text))
    if not parts:
        raise ValueError(f"acronym {text!r} has no letters or digits")
    return Pattern("exact", text, tokens=tuple(parts))


@dataclass(frozen=True, slots=True)
class Hit:
    payload: Any
    segment: int
    start: int  # token indexes, end exclusive
    end: int


@dataclass
class PhraseIndex:
    """Finds every occurrence of many phrases in a segment in one pass over its tokens."""

    by_key: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    wild_by_stem: dict[str, list[tuple[Pattern, Any]]] = field(default_factory=lambda: defaultdict(list))
    wild_by_prefix: dict[str, list[tuple[Pattern, Any]]] = field(default_factory=lambda: defaultdict(list))
    exact_by_first: dict[str, list[tuple[Pattern, Any]]] = field(default_factory=lambda: defaultdict(list))
    max_key_length: int = 0

    def add(self, pattern: Pattern, payload: Any) -> None:
        if pattern.kind == "key":
            self.by_key[pattern.key].append(payload)
            self.max_key_length = max(self.max_key_length, len(pattern.key))
        elif pattern.kind == "wild":
            first = pattern.tokens[0]
            if first.endswith("*"):
                self.wild_by_prefix[first[:3]].append((pattern, payload))
            else:
                self.wild_by_stem[stem(spelling(first))].append((pattern, payload))
        else:
            self.exact_by_first[pattern.tokens[0]].append((pattern, payload))

    def find(self, segment: Segment) -> list[Hit]:
        tokens = segment.tokens
        n = len(tokens)
        hits: list[Hit] = []
        for i, tok in enumerate(tokens):
            # compact keys over 1..MAX_KEY_TOKENS tokens
            concat = ""
            for j in range(i, min(n, i + MAX_KEY_TOKENS)):
                if j > i and tokens[j].boundary_before:
                    break
                concat += tokens[j].norm
                if len(concat) > self.max_key_length + 4:
                    break
                for payload in self.by_key.get(stem(spelling(concat)), ()):
                    hits.append(Hit(payload, segment.index, i, j + 1))
            # wildcard phrases, token by token
            candidates = self.wild_by_stem.get(stem(spelling(tok.norm)), []) + self.wild_by_prefix.get(tok.norm[:3], [])
            for pattern, payload in candidates:
                end = _match_wild(pattern.tokens, tokens, i)
                if end is not None:
                    hits.append(Hit(payload, segment.index, i, end))
            # case-sensitive acronyms
            for first in (tok.raw, tok.raw[:-1] if tok.raw.endswith("s") else None):
                for pattern, payload in self.exact_by_first.get(first, ()) if first else ():
                    end = _match_exact(pattern.tokens, tokens, i)
                    if end is not None:
                        hits.append(Hit(payload, segment.index, i, end))
        return hits


def _match_wild(parts: tuple[str, ...], tokens: tuple, i: int) -> int | None:
    if i + len(parts) > len(tokens):
        return None
    for k, part in enumerate(parts):
        tok = tokens[i + k]
        if k and tok.boundary_before:
            return None
        if part.endswith("*"):
            prefix = part[:-1]
            if not (tok.norm.startswith(prefix) or spelling(tok.norm).startswith(prefix)):
                return None
        elif stem(spelling(tok.norm)) != stem(spelling(part)):
            return None
    return i + len(parts)


def _match_exact(parts: tuple[str, ...], tokens: tuple, i: int) -> int | None:
    if i + len(parts) > len(tokens):
        return None
    last = len(parts) - 1
    for k, part in enumerate(parts):
        tok = tokens[i + k]
        if k and tok.boundary_before:
            return None
        # a plural "s" is allowed on the last token only ("UAVs"); a one-token acronym is looked up both ways
        if tok.raw != part and not (k == last and tok.raw == part + "s"):
            return None
    return i + len(parts)


# ------------------------------------------------------------------------------ compiled rules


@dataclass(frozen=True, slots=True)
class CompiledPhrase:
    group: int  # index into CompiledRules.groups
    text: str  # as written in the rules
    weight: float


@dataclass(frozen=True, slots=True)
class CompiledGroup:
    id: str
    area: CriticalTechnologyArea | None
    technology: str | None
    dual_use: dict[DualUseCategory, float]
    unless: tuple[tuple[tuple[int, ...], int | None], ...]  # any of (context term ids, window)
    only_with: tuple[tuple[int, ...], int | None] | None


@dataclass
class CompiledRules:
    rules: RuleSet
    groups: list[CompiledGroup]
    phrases: list[CompiledPhrase]
    positives: PhraseIndex
    negatives: PhraseIndex
    context: PhraseIndex  # payload: context term id
    context_terms: list[str]
    dampers: list[tuple[str, tuple[int, ...], float]]  # (id, context term ids, factor)


def compile_rules(rules: RuleSet, taxonomy: Taxonomy, *, path: Path | str = "<rules>") -> CompiledRules:
    """Checks the rules against the taxonomy and compiles them; every problem is reported at once."""
    problems: list[str] = []
    if rules.taxonomy_version != taxonomy.version:
        problems.append(
            f"taxonomy_version: rules written for taxonomy {rules.taxonomy_version!r}, loaded taxonomy is "
            f"{taxonomy.version!r} (review the rules, then update taxonomy_version)"
        )
    tech_area = taxonomy.technology_area()
    groups: list[CompiledGroup] = []
    phrases: list[CompiledPhrase] = []
    positives, negatives, context = PhraseIndex(), PhraseIndex(), PhraseIndex()
    context_ids: dict[str, int] = {}
    seen_ids: set[str] = set()

    def context_terms(where: str, ctx: Context | None) -> tuple[tuple[int, ...], int | None] | None:
        if ctx is None:
            return None
        return term_ids(where, ctx.terms), ctx.window

    def term_ids(where: str, terms: tuple[str, ...]) -> tuple[int, ...]:
        ids = []
        for term in terms:
            try:
                pattern = compile_phrase(term)
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            if term not in context_ids:
                context_ids[term] = len(context_ids)
                context.add(pattern, context_ids[term])
            ids.append(context_ids[term])
        return tuple(ids)

    for g_index, group in enumerate(rules.groups):
        where = f"groups[{g_index}] ({group.id})"
        if group.id in seen_ids:
            problems.append(f"{where}: duplicate group id")
        seen_ids.add(group.id)
        area: CriticalTechnologyArea | None = None
        if group.technology is not None:
            if group.technology not in tech_area:
                problems.append(f"{where}.technology: {group.technology!r} is not a technology of the taxonomy")
            else:
                area = tech_area[group.technology]
        elif group.area is not None:
            try:
                area = taxonomy.area_id(group.area)
            except KeyError:
                problems.append(f"{where}.area: {group.area!r} is not an area id or short name of the taxonomy")
        compiled = CompiledGroup(
            id=group.id,
            area=area,
            technology=group.technology,
            dual_use=dict(group.dual_use),
            unless=tuple(
                spec
                for i, ctx in enumerate(group.unless if isinstance(group.unless, tuple) else (group.unless,))
                if (spec := context_terms(f"{where}.unless[{i}]", ctx)) is not None
            ),
            only_with=context_terms(f"{where}.only_with", group.only_with),
        )
        groups.append(compiled)
        seen_keys: dict[tuple[str, ...], str] = {}
        for kind, items in (("phrase", group.phrases), ("acronym", group.acronyms)):
            for text, weight in _items(items, group.weight):
                try:
                    pattern = compile_phrase(text) if kind == "phrase" else compile_acronym(text)
                except ValueError as exc:
                    problems.append(f"{where}.{kind}s: {exc}")
                    continue
                identity = (pattern.kind, pattern.key, *pattern.tokens)
                if identity in seen_keys:
                    problems.append(f"{where}.{kind}s: {text!r} matches the same as {seen_keys[identity]!r}")
                    continue
                seen_keys[identity] = text
                phrases.append(CompiledPhrase(g_index, text, weight))
                positives.add(pattern, len(phrases) - 1)

    for kind, items in (("phrases", rules.negatives.phrases), ("acronyms", rules.negatives.acronyms)):
        for text in items:
            try:
                negatives.add(compile_phrase(text) if kind == "phrases" else compile_acronym(text), text)
            except ValueError as exc:
                problems.append(f"negatives.{kind}: {exc}")
    dampers = [(d.id, term_ids(f"dampers ({d.id})", d.terms), d.factor) for d in rules.dampers]
    if problems:
        raise TaxonomyError(path, problems)
    return CompiledRules(rules, groups, phrases, positives, negatives, context, list(context_ids), dampers)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """Reads and validates the rules file (structure only; `compile_rules` checks it against a taxonomy)."""
    path = Path(path) if path is not None else RULES_FILE
    raw, data = read_yaml(path)
    if not isinstance(data, dict):
        raise TaxonomyError(path, ["(top level): expected a mapping with version, taxonomy_version, groups"])
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(path, format_validation_error(exc)) from None
    rules._digest = hashlib.sha256(raw).hexdigest()
    return rules


__all__ = [
    "RULES_FILE",
    "CompiledRules",
    "Hit",
    "Pattern",
    "PhraseIndex",
    "RuleGroup",
    "RuleSet",
    "compile_acronym",
    "compile_phrase",
    "compile_rules",
    "load_rules",
]
